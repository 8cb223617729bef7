"""The API, served in-process over its real stores, and a GraphQL client for it."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
from starlette.testclient import TestClient

from tests.helpers.stores import METRICS_TOKEN


def _only_rate_limited(response: httpx.Response) -> bool:
    errors = response.json().get("errors") or [{}]
    return all(error.get("extensions", {}).get("code") == "RATE_LIMITED" for error in errors)


class Api:
    """A GraphQL client for tests: ``api.gql(query)`` returns the decoded response body."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token: str | None = None
        self.password: str | None = None  # the account's, once this client registered

    def post(self, body: object, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.post("/graphql", json=body, headers=headers, **kwargs)

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.post({"query": query, "variables": variables})
        # 429 when rate limits are all the answer holds (tests/security/test_rate_limits.py).
        limited = response.status_code == 429 and _only_rate_limited(response)
        assert response.status_code == 200 or limited, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a request that must succeed."""
        body = self.gql(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error_code(self, query: str, **variables: Any) -> str:
        """The code of the single error a request must fail with."""
        body = self.gql(query, **variables)
        assert body.get("errors"), body
        code: str = body["errors"][0]["extensions"]["code"]
        return code

    def first_error(self, query: str, **variables: Any) -> dict[str, Any]:
        """The single error a request must fail with, whatever its HTTP status (a limited
        request may answer 429)."""
        body = self.post({"query": query, "variables": variables}).json()
        assert body.get("errors"), body
        error: dict[str, Any] = body["errors"][0]
        return error

    def metrics(self, token: str | None = METRICS_TOKEN) -> httpx.Response:
        """GET /metrics, with the test settings' metrics token unless told otherwise."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return self.client.get("/metrics", headers=headers)

    def forget_session(self) -> None:
        """Drop the bearer token and the cookie, as a fresh browser would."""
        self.token = None
        self.client.cookies.clear()

    # Common journeys.

    def register(self, email: str, password: str = "correct horse battery", **extra: Any) -> str:
        registration = {"email": email, "password": password, "country": "US", "plan": "PREMIUM"}
        data = self.data(
            "mutation($input: RegisterInput!) { register(input: $input) { token } }",
            input={**registration, **extra},
        )
        self.token = data["register"]["token"]
        self.password = password
        return self.token

    def create_profile(self, name: str, **extra: Any) -> str:
        data = self.data(
            "mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }",
            input={"name": name, **extra},
        )
        profile_id: str = data["createProfile"]["id"]
        return profile_id

    def select_profile(self, profile_id: str) -> None:
        """Select with the account password, as a client asks for it to leave a kids
        profile (tests/security/test_profile_lock.py tests the rule itself)."""
        self.data(
            "mutation($id: ID!, $password: String) {"
            " selectProfile(id: $id, password: $password) { id } }",
            id=profile_id,
            password=self.password,
        )

    def viewer_with_profile(self, email: str, **profile: Any) -> str:
        """Register, create a profile and select it; returns the profile id."""
        self.register(email)
        profile_id = self.create_profile(profile.pop("name", "Me"), **profile)
        self.select_profile(profile_id)
        return profile_id
