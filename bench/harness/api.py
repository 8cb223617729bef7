"""The API as a child process of the bench, GraphQL requests to it, sign-up and sign-in."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.harness import ROOT, flix_command, log
from bench.harness.stores import Stores
from server.processes import HOST, ChildServer, exchange, free_port, log_tail

READY_SECONDS = 90.0  # a busy two-core machine takes a while to import and migrate
STOP_SECONDS = 15.0
PASSWORD = "bench password 1234"
LOGIN = (
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
    "{ token account { profiles { id name maturityLevel } } } }"
)
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { token } }"
CREATE_PROFILE = "mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }"
SELECT_PROFILE = "mutation($id: ID!) { selectProfile(id: $id) { id } }"
_READYZ = f"GET /readyz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
REQUEST_ID = re.compile(r"request id [0-9a-f-]+")


@dataclass(frozen=True)
class Api:
    url: str
    pid: int  # its CPU (and its workers') is the server's side of a measurement
    log: Path
    env: dict[str, str]  # what it was started with: for `flix` commands on the same stores


@contextlib.contextmanager
def api_server(
    stores: Stores,
    work: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    workers: int = 1,
    uvicorn: bool = False,
) -> Iterator[Api]:
    """``flix serve`` on a free loopback port against ``stores`` (or, with ``uvicorn``, the app
    straight under uvicorn, one process, warnings and errors only), as our child: ready once
    /readyz answers 200, stopped on the way out; the end of its log goes to stderr if the body
    fails. Its data folder (the secrets it makes, media) is the run's; sign-in is not limited."""
    port = free_port()
    if uvicorn:
        argv = [sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory"]
        argv += ["--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    else:
        argv = flix_command("serve", "--port", str(port), "--workers", str(workers))
    env = {
        **os.environ,
        **stores.settings(),
        "FLIX_DATA_DIR": str(work / "api-data"),
        "FLIX_LOGIN_ATTEMPTS": "1000000",  # the bench signs in many times
        "FLIX_REGISTRATION_ATTEMPTS": "1000000",  # and signs up many players from one IP
        "FLIX_RATE_LIMIT_SCALE": "100000",  # and measures the API, not its rate limits
        **(extra_env or {}),
    }
    server = ChildServer(
        name="the API",
        argv=argv,
        log=work / "api.log",
        cwd=ROOT,
        port=port,
        ready=lambda: exchange(port, _READYZ).startswith(b"HTTP/1.1 200"),
        env=env,
        ready_timeout=READY_SECONDS,
        stop_timeout=STOP_SECONDS,
    )
    log(f"starting the API: {' '.join(argv[1:])}")
    try:
        server.start()
        assert server.proc is not None
        log(f"the API is ready (pid {server.proc.pid}, port {port})")
        yield Api(f"http://{HOST}:{port}", server.proc.pid, server.log, env)
    except BaseException:
        log(f"failed; the API's {log_tail(server.log, 40)}")
        raise
    finally:
        server.stop(log)


def client(api: Api, concurrency: int, timeout: float = 30.0, **options: Any) -> httpx.AsyncClient:
    """An HTTP/1.1 client of the API with as many keep-alive connections as requests in flight."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=api.url, limits=limits, timeout=timeout, **options)


class GraphQLError(RuntimeError):
    """A non-200 answer, or one with ``errors``."""


# What a request can fail with: count these as the side's errors, let anything else raise.
REQUEST_ERRORS = (GraphQLError, httpx.HTTPError, ValueError)


def describe(status: int, body: Any) -> str:
    """An error answer in one line: status, the first error's code and message (request ids
    elided, so that the same failure counts once)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        first = errors[0]
        code = (first.get("extensions") or {}).get("code", "?")
        message = REQUEST_ID.sub("request id …", str(first.get("message", "")))
        return f"HTTP {status} {code}: {message}"[:300]
    return f"HTTP {status}: {json.dumps(body)[:200]}"


def failure(error: BaseException) -> str:
    """One of REQUEST_ERRORS, as a side's error."""
    return str(error) if isinstance(error, GraphQLError) else f"{type(error).__name__}: {error}"


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: Mapping[str, Any] | None = None,
    token: str | None = None,
) -> Any:
    """The answer's ``data``; GraphQLError unless it is a 200 without ``errors``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": query, "variables": dict(variables or {})}
    response = await client.post("/graphql", json=body, headers=headers)
    payload = response.json()
    if response.status_code != 200 or payload.get("errors"):
        raise GraphQLError(describe(response.status_code, payload))
    return payload["data"]


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str
) -> tuple[str, list[dict[str, Any]]]:
    """``login``: the bearer token and the account's profiles (id, name, maturityLevel)."""
    data = await graphql(client, LOGIN, {"e": email, "p": password})
    return data["login"]["token"], data["login"]["account"]["profiles"]


async def select_profile(client: httpx.AsyncClient, token: str, profile_id: str) -> None:
    await graphql(client, SELECT_PROFILE, {"id": profile_id}, token)


def registration(email: str, password: str = PASSWORD) -> dict[str, str]:
    """``RegisterInput`` of a US premium account."""
    return {"email": email, "password": password, "country": "US", "plan": "PREMIUM"}


async def sign_up(
    client: httpx.AsyncClient, email: str, profile: Mapping[str, Any], password: str = PASSWORD
) -> tuple[str, str]:
    """``register``, ``createProfile`` (``profile`` is its input) and ``selectProfile``: the
    bearer token and the profile's id."""
    data = await graphql(client, REGISTER, {"input": registration(email, password)})
    token = data["register"]["token"]
    created = await graphql(client, CREATE_PROFILE, {"input": dict(profile)}, token)
    profile_id = str(created["createProfile"]["id"])
    await select_profile(client, token, profile_id)
    return token, profile_id
