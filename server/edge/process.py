"""The edge as our child: Debian's nginx with the rendered config, in a folder of its own.

nginx runs in the foreground (``daemon off``) so that it is a ChildServer like the stores:
it dies with us, and ``stop`` is its graceful quit (SIGQUIT: in-flight responses finish).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
from dataclasses import replace
from pathlib import Path

from server.edge.config import EdgeConfig, render_nginx_conf
from server.processes import ChildServer, EmbeddedServerError

__all__ = ["EDGE_TEMP_FOLDERS", "edge_server", "nginx_executable"]

EDGE_TEMP_FOLDERS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
_DEBIAN_NGINX = Path("/usr/sbin/nginx")


def nginx_executable() -> str | None:
    """nginx from the PATH or Debian's place for it; None when it is not installed."""
    found = shutil.which("nginx")
    if found is not None:
        return found
    return str(_DEBIAN_NGINX) if _DEBIAN_NGINX.is_file() else None


def _answers(host: str, port: int) -> bool:
    # Any HTTP answer will do: "/" is passed to the origin, which may not be up yet.
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", "/_flix_edge_probe")
        connection.getresponse().read()
        return True
    finally:
        connection.close()


def edge_server(config: EdgeConfig) -> ChildServer:
    """nginx serving ``config`` (its folders made and nginx.conf written now); start() it."""
    nginx = nginx_executable()
    if nginx is None:
        raise EmbeddedServerError("the media edge needs nginx: apt-get install -y nginx")
    if config.user is None and os.geteuid() == 0:
        # A root master would hand its workers to "nobody", who cannot reach a data folder
        # under a private (0700) temporary folder; the workers only serve loopback here.
        config = replace(config, user="root")
    for folder in (config.cache_dir, config.access_log.parent):
        folder.mkdir(parents=True, exist_ok=True)
    for name in EDGE_TEMP_FOLDERS:
        (config.temp_dir / name).mkdir(parents=True, exist_ok=True)
    config.conf_file.write_text(render_nginx_conf(config))
    return ChildServer(
        name="nginx edge",
        argv=[
            nginx,
            *("-p", str(config.data_dir)),
            *("-c", str(config.conf_file)),
            *("-e", str(config.error_log)),  # before the config is read, too
            *("-g", "daemon off;"),
        ],
        log=config.data_dir / "logs" / "nginx.out",
        cwd=config.data_dir,
        port=config.listen_port,
        ready=lambda: _answers(config.listen_host, config.listen_port),
        stop_signal=signal.SIGQUIT,
    )
