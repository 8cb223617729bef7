"""How /graphql answers are compressed: gzip at level 6 (zlib's default, not Starlette's 9:
a third of the CPU per homepage for a body some 10% larger), from 1 KB up.

``server/app.py`` compresses every answer so (Starlette's GZipMiddleware); a homepage served
from its finished body (``server/homepage_bodies.py``) is the same bytes every time, so it is
compressed once, here, and the middleware passes it through as it is."""

from __future__ import annotations

import gzip

from starlette.requests import Request

LEVEL = 6
MINIMUM_BYTES = 1024


def accepts_gzip(request: Request) -> bool:
    """As GZipMiddleware decides it."""
    return "gzip" in request.headers.get("accept-encoding", "")


def gzipped(content: bytes) -> bytes:
    return gzip.compress(content, LEVEL, mtime=0)
