"""HAProxy in front of the regions: health checks on /readyz, priority failover, retries of
requests that are safe to repeat on another region, and a stats socket for `regions status`.

Why these settings (HAProxy 2.6, Debian's package):

* ``backup`` servers, no ``allbackups``: us-east serves alone while healthy; when it is down
  the first healthy backup (us-west, then eu-west) takes everything; it fails back by itself
  once us-east passes ``rise`` checks again.
* ``observe layer4`` + ``on-error mark-down``: a refused connection marks the region down at
  once instead of after ``fall`` failed checks, so the retry below lands elsewhere.
* ``retries`` + ``option redispatch 1``: every retry picks a server anew (another region).
  Connection failures are always retried (nothing reached the BFF). ``retry-on`` adds L7
  retries (no answer, a 502/503/504), which ``http-request disable-l7-retry`` turns off for
  anything not safe to repeat: only GET/HEAD and POSTs with an ``Idempotency-Key`` (the BFF
  answers a repeated key from its first outcome, server/idempotency.py) are retried that way.
* ``option http-buffer-request``: HAProxy 2.6 keeps a request for an L7 retry only if it has
  all of it when it first sends it (stream-interface: ``msg_state != HTTP_MSG_DONE`` drops
  the retry); a POST whose body arrives after its headers would otherwise never be retried.
* ``option http-server-close``: a new connection to the BFF per request. When a *reused*
  idle server connection dies before answering, HAProxy closes the client's connection
  instead (no log line: the client is meant to retry, which httpx does not), so the kill
  of a region showed up as "Server disconnected without sending a response".
"""

from __future__ import annotations

import csv
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from server.processes import HOST, ChildServer, EmbeddedServerError

RETRIES = 3
RETRY_ON = "conn-failure empty-response junk-response response-timeout 502 503 504"


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or shutil.which("/usr/sbin/haproxy")
    if found is None:
        raise EmbeddedServerError(
            "HAProxy is not installed: `apt-get install haproxy` (scripts/install does it as root)"
        )
    return found


def render_config(
    port: int, regions: Sequence[tuple[str, int]], stats_socket: Path, check_ms: int = 1000
) -> str:
    """The configuration: regions in priority order, (name, port) each."""
    servers = []
    for index, (name, region_port) in enumerate(regions):
        backup = " backup" if index else ""
        servers.append(f"    server {name} {HOST}:{region_port} check{backup}")
    return "\n".join(
        [
            "global",
            f"    stats socket {stats_socket} mode 600 level admin",
            "    maxconn 4096",
            "",
            "defaults",
            "    mode http",
            "    option forwardfor",
            "    timeout connect 1s",
            "    timeout client 30s",
            "    timeout server 15s",
            f"    retries {RETRIES}",
            "    option redispatch 1",
            f"    retry-on {RETRY_ON}",
            # L7 retries need the whole request in HAProxy's buffer when it is first sent:
            # without this, a POST whose body came after its headers (httpx, browsers) was
            # forwarded at once and could not be retried (docs/regions.md, measured there).
            "    option http-buffer-request",
            # No idle server connections to reuse: a region killed under a reused one made
            # HAProxy close the client's connection without an answer or a log line (its
            # signal that the client may retry), where a fresh one is retried right here.
            "    option http-server-close",
            "",
            "frontend flix",
            f"    bind {HOST}:{port}",
            "    default_backend regions",
            "",
            "backend regions",
            "    option httpchk GET /readyz",
            "    http-check expect status 200",
            # METH_GET is GET or HEAD; every other request is retried on connection failures only.
            "    http-request disable-l7-retry"
            " unless METH_GET || { req.hdr(idempotency-key) -m found }",
            # Which region answered: for clients, tests and the bench (%s: the server's name).
            "    http-response set-header X-Flix-Region %s",
            f"    default-server inter {check_ms}ms fastinter {check_ms}ms downinter {check_ms}ms"
            " fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down",
            *servers,
            "",
        ]
    )


def haproxy_server(config: Path, port: int, log: Path) -> ChildServer:
    """HAProxy in the foreground (-db) as our child, on its configuration file."""
    return ChildServer(
        name="HAProxy",
        argv=[haproxy_binary(), "-db", "-f", str(config)],
        log=log,
        cwd=config.parent,
        port=port,
        ready=lambda: _listening(port),
    )


def _listening(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1.0):
        return True


@dataclass(frozen=True)
class RegionHealth:
    region: str
    status: str  # HAProxy's: UP, DOWN, "UP 1/2" (going down), MAINT, …
    check: str  # the last check's result, e.g. L7OK, L7STS (a non-200), L4CON (refused)
    active: bool  # a primary server (not a backup)
    sessions: int  # requests it is serving right now


def stats(socket_path: Path) -> list[RegionHealth]:
    """Each region's health as HAProxy sees it, from ``show stat`` on its stats socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        sock.connect(str(socket_path))
        sock.sendall(b"show stat\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    lines = b"".join(chunks).decode().lstrip("# ").splitlines()
    found = []
    for row in csv.DictReader(lines):
        if row.get("pxname") != "regions" or row.get("svname") in ("FRONTEND", "BACKEND"):
            continue
        found.append(
            RegionHealth(
                region=row["svname"],
                status=row["status"],
                check=row.get("check_status", ""),
                active=row.get("act") == "1",
                sessions=int(row.get("scur") or 0),
            )
        )
    return found
