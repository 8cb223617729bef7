"""The web client end to end: sign-up, profiles, maturity, search, a title, My List, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.flows import (
    PASSWORD,
    card_maturities,
    choose_profile,
    create_profile,
    profile_tile,
    register,
    sign_in,
    switch_profile,
    unique_email,
)

pytestmark = pytest.mark.e2e

KIDS_RATINGS = {"G", "PG", "TV-Y", "TV-Y7", "TV-G", "TV-PG"}


def test_kids_profile_then_adult_search_title_and_my_list(
    page: Page, e2e_server: Server, screenshots: Path
) -> None:
    register(page, unique_email("family"))
    screenshots_of = screenshots

    # A new account lands on "Who's watching?" with the create dialog open.
    create_profile(page, "Kiddo", kids=True)
    create_profile(page, "Sam")
    expect(profile_tile(page, "Kiddo")).to_have_attribute("data-kids", "true")
    page.screenshot(path=screenshots_of / "profiles.png")

    # The kids homepage: nothing above PG anywhere on it, the featured title included.
    choose_profile(page, "Kiddo")
    expect(page.locator(".topbar")).to_have_class(re.compile("topbar-kids"))
    maturities = card_maturities(page)
    assert maturities, "the kids homepage shows no titles"
    assert max(maturities) <= 2, f"a kids homepage shows a title above PG: {maturities}"
    assert page.locator(".hero .badge").first.inner_text() in KIDS_RATINGS
    page.screenshot(path=screenshots_of / "home-kids.png")

    # Out of the kids profile takes the account password; the adult profile sees more, and
    # search as you type finds Toy Story.
    switch_profile(page, "Sam", password=PASSWORD)
    assert max(card_maturities(page)) > 2
    search = page.get_by_role("searchbox", name="Search titles")
    search.press_sequentially("toy stor", delay=60)
    expect(page).to_have_url(re.compile(r"/search\?q=toy"))
    toy_story = page.locator('.grid-list a.card[data-title="Toy Story"]')
    expect(toy_story).to_be_visible()
    page.screenshot(path=screenshots_of / "search.png")

    # Its title page, then into My List.
    toy_story.click()
    expect(page.get_by_role("heading", level=1, name="Toy Story")).to_be_visible()
    expect(page.locator(".hero-meta .badge")).to_have_text("G")
    my_list = page.get_by_role("button", name="Add to My List")
    my_list.click()
    expect(page.get_by_role("button", name="Remove from My List")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("button", name="I like this").click()
    expect(page.get_by_role("button", name="I like this")).to_have_attribute("aria-pressed", "true")
    settle(page)
    page.screenshot(path=screenshots_of / "title.png")

    # Back on the homepage, a My List row holds it.
    page.get_by_role("link", name="Home", exact=True).click()
    row = page.locator('.row[data-kind="MY_LIST"]')
    expect(row).to_be_visible()
    expect(row.locator('a.card[data-title="Toy Story"]')).to_be_visible()
    settle(page)
    page.screenshot(path=screenshots_of / "home.png")
    page.screenshot(path=screenshots_of / "home-full.png", full_page=True)
    row.scroll_into_view_if_needed()
    page.mouse.wheel(0, 200)
    settle(page)
    page.screenshot(path=screenshots_of / "home-my-list.png")

    # The state survives a reload (the session is a cookie; the route is the URL).
    page.goto("/my-list")
    expect(page.locator('.grid-list a.card[data-title="Toy Story"]')).to_be_visible()


def settle(page: Page) -> None:
    """Toasts gone and the pointer out of the way, for a clean picture."""
    page.mouse.move(0, 0)
    expect(page.locator(".toast")).to_have_count(0, timeout=8_000)


def test_rows_are_navigable_with_the_keyboard(page: Page, e2e_server: Server) -> None:
    register(page, unique_email("keys"))
    create_profile(page, "Keys")
    choose_profile(page, "Keys")
    rows = page.locator(".row-list")
    first_card = rows.nth(0).locator("a.card").nth(0)
    second_card = rows.nth(0).locator("a.card").nth(1)

    # One tab stop per row: Tab from the hero's buttons reaches the first card.
    first_card.focus()
    page.keyboard.press("ArrowRight")
    expect(second_card).to_be_focused()
    expect(second_card).to_have_attribute("tabindex", "0")
    expect(first_card).to_have_attribute("tabindex", "-1")
    page.keyboard.press("ArrowDown")
    focused_row = page.evaluate("() => document.activeElement.closest('.row').dataset.row")
    assert focused_row == rows.nth(1).evaluate("list => list.closest('.row').dataset.row")
    page.keyboard.press("ArrowUp")
    expect(second_card).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/title/\d+"))
    expect(page.get_by_role("heading", level=1)).to_be_focused()


def test_errors_read_clearly(page: Page, e2e_server: Server) -> None:
    email = unique_email("errors")
    register(page, email)
    create_profile(page, "Only")

    # The email is taken: the answer reads like any refused password (registration does not
    # tell who has an account, docs/accounts_and_profiles.md) and points to signing in.
    page.context.clear_cookies()
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("another long password")
    page.get_by_role("button", name="Start watching").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(re.compile("already has an account, sign in"))
    expect(alert).to_have_attribute("data-code", "BAD_USER_INPUT")

    # UNAUTHENTICATED on sign-in: a wrong password.
    sign_in(page, email, "not the password")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(re.compile("don.t match"))
    expect(alert).to_have_attribute("data-code", "UNAUTHENTICATED")

    # Signed in, a profile chosen: a title that does not exist is NOT_FOUND.
    sign_in(page, email)
    choose_profile(page, "Only")
    page.goto("/title/99999999")
    expect(page.get_by_role("alert")).to_have_attribute("data-code", "NOT_FOUND")

    # Signed out, a deep link goes to sign-in and comes back after it.
    page.context.clear_cookies()
    page.goto("/search?q=babe")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/profiles\?next="))
    profile_tile(page, "Only").click()
    expect(page).to_have_url(re.compile(r"/search\?q=babe"))
    expect(page.locator(".grid-list a.card").first).to_be_visible()
