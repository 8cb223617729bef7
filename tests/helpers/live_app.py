"""An app served for real: uvicorn on a thread of this process, on a loopback port.

For clients that are not Python (Node's gateway, graphql-http's audit, Apollo Client), and
for tests that count the app's statements while those clients drive it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from server.app import create_app
from server.processes import HOST, free_port
from tests.helpers.aio import blocking
from tests.helpers.stores import delete_streams, settings_for

START_TIMEOUT_S = 30.0


class LiveApp:
    """An app served by uvicorn on a thread of its own, on a given port."""

    def __init__(self, app: Starlette, port: int) -> None:
        self.app = app
        self.url = f"http://{HOST}:{port}"
        config = uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(START_TIMEOUT_S)


@contextmanager
def live_app(database_url: str, redis_url: str) -> Iterator[str]:
    """The API over these stores as `flix serve` runs it (the worker's jobs elsewhere); yields
    its base URL, and stops it and deletes its streams on the way out."""
    settings = settings_for(database_url, redis_url, inline_worker=False)
    app = LiveApp(create_app(settings), free_port())
    app.start()
    try:
        yield app.url
    finally:
        app.stop()
        blocking(delete_streams(settings.events_prefix))
