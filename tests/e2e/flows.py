"""What a viewer does, step by step, in the web client (shared by the e2e tests)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

PASSWORD = "correct horse battery"


def unique_email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def register(page: Page, email: str, plan: str = "Premium") -> None:
    """From a signed-out browser: the sign-up form, filled in and sent."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_role("link", name="Sign up now").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Country").select_option("US")
    page.locator(".plan", has_text=plan).click()
    page.get_by_role("button", name="Start watching").click()
    expect(page).to_have_url(re.compile(r"/profiles"))


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def create_profile(page: Page, name: str, kids: bool = False) -> None:
    """On "Who's watching?": add a profile (the dialog opens by itself for a new account)."""
    dialog = page.get_by_role("dialog")
    if not dialog.is_visible():
        page.get_by_role("button", name="Add a profile").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill(name)
    if kids:
        dialog.get_by_role("switch", name=re.compile("Kids profile")).check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(profile_tile(page, name)).to_be_visible()


def profile_tile(page: Page, name: str) -> Any:
    return page.locator(
        ".profile-tile",
        has=page.locator(".profile-name", has_text=re.compile(f"^{re.escape(name)}$")),
    )


def choose_profile(page: Page, name: str) -> None:
    profile_tile(page, name).click()
    wait_for_home(page, name)


def wait_for_home(page: Page, profile: str) -> None:
    """The homepage of `profile` has rendered (its heading names the profile)."""
    expect(page.locator("h1", has_text=f"Home, {profile}")).to_be_attached()
    expect(page.locator(".row").first).to_be_visible()


def switch_profile(page: Page, name: str, password: str | None = None) -> None:
    """From a browse screen, through the profile menu; ``password`` answers the prompt that
    leaving a kids profile opens."""
    page.locator(".profile-button").click()
    page.get_by_role("menuitem", name=name).click()
    if password is not None:
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Account password").fill(password)
        dialog.get_by_role("button", name="Continue").click()
        expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/$"))
    wait_for_home(page, name)


def card_maturities(page: Page) -> list[int]:
    """The maturity level of every title card on the page."""
    values: list[str] = page.locator("a.card[data-maturity]").evaluate_all(
        "cards => cards.map(card => card.dataset.maturity)"
    )
    return [int(value) for value in values]


def gql(context: BrowserContext, query: str, **variables: Any) -> dict[str, Any]:
    """A GraphQL request with this browser context's cookies (its session)."""
    response = context.request.post("/graphql", data={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return body


def api_register(context: BrowserContext, kids: bool = False) -> str:
    """A new account with one profile, signed in and selected in `context`; returns the email."""
    email = unique_email("viewer")
    body = gql(
        context,
        "mutation($i: RegisterInput!) { register(input: $i) { account { id } } }",
        i={"email": email, "password": PASSWORD, "country": "US", "plan": "PREMIUM"},
    )
    assert "errors" not in body, body
    created = gql(
        context,
        "mutation($i: CreateProfileInput!) { createProfile(input: $i) { id } }",
        i={"name": "Kid" if kids else "Viewer", "isKids": kids},
    )
    assert "errors" not in created, created
    _select(context, created["data"]["createProfile"]["id"])
    return email


def api_sign_in(context: BrowserContext, email: str) -> None:
    """Sign in to an existing account in `context` (another device) and pick its first profile."""
    body = gql(
        context,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) {"
        " account { profiles { id } } } }",
        e=email,
        p=PASSWORD,
    )
    assert "errors" not in body, body
    _select(context, body["data"]["login"]["account"]["profiles"][0]["id"])


def _select(context: BrowserContext, profile_id: str) -> None:
    selected = gql(context, "mutation($id: ID!) { selectProfile(id: $id) { id } }", id=profile_id)
    assert "errors" not in selected, selected
