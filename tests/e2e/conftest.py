"""End-to-end fixtures: the real `flix serve` over a fresh database, driven by headless Chromium.

The server is the one users run: `flix serve` as a subprocess on the machine's PostgreSQL,
Redis and NATS, with the demo catalog imported. The browser is Debian's chromium driven by
Python playwright (its own browser downloads are not used).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from migrations.runner import upgrade
from server.cli.catalog import import_demo_catalog
from server.processes import ChildServer, free_port
from tests.helpers.aio import blocking
from tests.helpers.stores import (
    ADMIN_URL,
    NATS_URL,
    delete_streams,
    drop_database,
    recreate_database,
    redis_database,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("FLIX_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # The tests press Play in a page they just opened; no gesture is needed to start sound.
    "--autoplay-policy=no-user-gesture-required",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# A Redis database of its own: the unit tests' fixture flushes theirs.
REDIS_URL = redis_database(1)
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: drives the web client in headless Chromium against `flix serve`"
    )


def _off_loop(work: Callable[[], object]) -> object:
    """Run `work` on a thread of its own: playwright's sync API keeps an event loop running
    on this one, and the migrations' own asyncio.run refuses to nest."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


@dataclass
class Server:
    """A running `flix serve`: its URL and the environment it was started with."""

    url: str
    env: dict[str, str]
    data_dir: Path
    log: Path
    child: ChildServer
    peer_port: int = 0
    """A second loopback port, for pages of another origin (tests/e2e/test_peer_players.py);
    ``http://127.0.0.1:<peer_port>`` is a listed license origin (FLIX_DRM_LICENSE_ORIGINS)."""
    cache: dict[str, Any] = field(default_factory=dict)

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        """A GraphQL request outside any browser (no session)."""
        response = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=30
        )
        body: dict[str, Any] = response.json()
        return body

    def schema_fields(self, type_name: str) -> set[str]:
        key = f"fields:{type_name}"
        if key not in self.cache:
            body = self.gql(
                "query($n: String!) { __type(name: $n) { fields { name } } }", n=type_name
            )
            found = body["data"]["__type"]
            self.cache[key] = {f["name"] for f in found["fields"]} if found else set()
        fields: set[str] = self.cache[key]
        return fields

    def flix(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run a `flix` command against this server's stores."""
        return subprocess.run(
            [str(ROOT / ".venv" / "bin" / "flix"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _answers_ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


# Package scope: the browser's event loop must be gone before the rest of the suite runs.
@pytest.fixture(scope="package")
def e2e_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`flix serve` on a fresh, migrated database holding the demo catalog."""
    if not (ROOT / "player-web" / "dist" / "index.html").is_file():
        pytest.skip("player-web is not built: run scripts/install (npm ci && npm run build)")
    name = f"flix_e2e_{os.getpid()}"
    blocking(recreate_database(name))
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    database_url = f"{base}/{name}"
    _off_loop(lambda: upgrade(database_url))
    blocking(import_demo_catalog(database_url, ROOT / ".flix", show_progress=False))

    data_dir = tmp_path_factory.mktemp("flix-e2e")
    prefix = f"e2e{uuid.uuid4().hex[:10]}_"
    port = free_port()
    peer_port = free_port()
    env = {
        **os.environ,
        "FLIX_DATABASE_URL": database_url,
        "FLIX_REDIS_URL": REDIS_URL,
        "FLIX_NATS_URL": NATS_URL,
        "FLIX_EVENTS_PREFIX": prefix,
        "FLIX_DATA_DIR": str(data_dir),
        "FLIX_MEDIA_ROOT": str(data_dir / "media"),
        "FLIX_MEDIA_MASTER_KEY": os.urandom(32).hex(),
        "FLIX_MEDIA_SIGNING_KEY": os.urandom(32).hex(),
        # Each test signs in (and up) afresh; both throttles are tested elsewhere.
        "FLIX_LOGIN_ATTEMPTS": "10000",
        "FLIX_REGISTRATION_ATTEMPTS": "10000",
        "FLIX_RATE_LIMIT_SCALE": "1000",  # the seed's limits: tests/security/test_rate_limits.py
        "FLIX_DRM_LICENSE_ORIGINS": f"http://127.0.0.1:{peer_port}",
        # As the unit tests' settings (tests/helpers/stores.py): a loaded CI machine, the other
        # test worker beside this one, may take more than the production 2 s over a statement.
        "FLIX_STORE_TIMEOUT_SECONDS": "10",
    }
    url = f"http://127.0.0.1:{port}"
    child = ChildServer(
        name="flix serve",
        argv=[str(ROOT / ".venv" / "bin" / "flix"), "serve", "--port", str(port)],
        log=data_dir / "serve.log",
        cwd=ROOT,
        port=port,
        ready=lambda: _answers_ready(url),
        stop_signal=signal.SIGINT,  # what Ctrl-C sends: the worker and stores stop in order
        env=env,
        ready_timeout=90,
        stop_timeout=30,
    )
    server = Server(
        url=url, env=env, data_dir=data_dir, log=child.log, child=child, peer_port=peer_port
    )
    try:
        child.start()
        shell = httpx.get(f"{url}/", timeout=10)
        if 'id="app"' not in shell.text:
            pytest.skip(
                "flix serve does not serve the web client at /: "
                "wire server.web.web_routes into server/app.py"
            )
        redis_flush(REDIS_URL)
        yield server
    finally:
        child.stop()
        blocking(delete_streams(prefix))
        blocking(drop_database(name))
        redis_flush(REDIS_URL)


def redis_flush(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser: Browser, e2e_server: Server) -> Iterator[Callable[[], BrowserContext]]:
    """Fresh browser contexts (each a separate device: own cookies and storage)."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(
            base_url=e2e_server.url,
            viewport=VIEWPORT,
            screen={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
            locale="en-US",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[[], BrowserContext]) -> Iterator[Page]:
    """A page that fails the test on any uncaught script error."""
    created = new_context().new_page()
    errors: list[str] = []
    created.on("pageerror", lambda error: errors.append(str(error)))
    yield created
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where tests leave screenshots for people to look at (git-ignored)."""
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS
