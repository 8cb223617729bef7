"""An Open Connect style edge for /media: nginx caching segments in front of the origin.

``EdgeConfig`` and ``render_nginx_conf`` (config.py) say what nginx does; ``edge_server``
(process.py) runs it as our child. docs/edge.md describes the caching and the signatures.
"""

from __future__ import annotations

from server.edge.config import AUTHORIZE_PATH, EdgeConfig, render_nginx_conf
from server.edge.process import edge_server, nginx_executable

__all__ = ["AUTHORIZE_PATH", "EdgeConfig", "edge_server", "nginx_executable", "render_nginx_conf"]
