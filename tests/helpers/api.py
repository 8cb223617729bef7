"""The API, served in-process over its real stores, and a GraphQL client for it."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
from starlette.testclient import TestClient

from tests.helpers.stores import METRICS_TOKEN


class Api:
    """A GraphQL client for tests: ``api.gql(query)`` returns the decoded response body."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token: str | None = None

    def post(self, body: object, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.post("/graphql", json=body, headers=headers, **kwargs)

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.post({"query": query, "variables": variables})
        assert response.status_code == 200, response.text
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
        return self.token

    def create_profile(self, name: str, **extra: Any) -> str:
        data = self.data(
            "mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }",
            input={"name": name, **extra},
        )
        profile_id: str = data["createProfile"]["id"]
        return profile_id

    def select_profile(self, profile_id: str) -> None:
        self.data("mutation($id: ID!) { selectProfile(id: $id) { id } }", id=profile_id)

    def viewer_with_profile(self, email: str, **profile: Any) -> str:
        """Register, create a profile and select it; returns the profile id."""
        self.register(email)
        profile_id = self.create_profile(profile.pop("name", "Me"), **profile)
        self.select_profile(profile_id)
        return profile_id
