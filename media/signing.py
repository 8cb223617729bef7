"""Signed, expiring media URLs: an HMAC over a path (or a folder) and an expiry time.

A DASH SegmentTemplate names thousands of segments through one URL pattern
(``seg-$Number%05d$.m4s``), so a signature cannot cover each segment's own path. A
signature therefore covers either one exact path, or — when the signed path ends in ``/``
— every path under that folder; the query says which with ``scope``. Manifests sign the
asset's folder, which grants exactly what the manifest lists and nothing of other titles.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import posixpath
from collections.abc import Callable
from urllib.parse import parse_qs, quote, urlencode

_SAFE = "/$%"  # keep template variables ($Number%05d$) and the folder slashes readable


def sign_path(key: bytes, path: str, expires_at: int) -> str:
    """The query string that makes ``path`` (a folder when it ends in ``/``) readable until
    ``expires_at`` (Unix seconds)."""
    params = {"exp": str(expires_at)}
    if path.endswith("/"):
        params["scope"] = path
    params["sig"] = _signature(key, path, expires_at)
    return urlencode(params, safe="/")


def verify(key: bytes, path: str, query: str, now: float) -> bool:
    """Whether ``query`` (as :func:`sign_path` made it) lets ``path`` be read at ``now``."""
    params = parse_qs(query, keep_blank_values=True)
    try:
        (expiry,) = params["exp"]
        (signature,) = params["sig"]
        expires_at = int(expiry)
    except (KeyError, ValueError):
        return False
    scopes = params.get("scope", [path])
    if len(scopes) != 1 or expires_at < now or not _normal(path):
        return False
    scope = scopes[0]
    inside = path == scope or (scope.endswith("/") and path.startswith(scope))
    expected = _signature(key, scope, expires_at)
    return inside and hmac.compare_digest(signature, expected)


def signer(key: bytes, base_url: str, folder: str, expires_at: int) -> Callable[[str], str]:
    """``sign(relative_path) -> url`` for the files of one asset folder.

    ``folder`` is the URL path of the asset (``/media/video-12-3fa9c1/``); ``base_url`` is
    prepended as it is ("" for same-origin URLs, or a CDN's origin).
    """
    if not folder.endswith("/"):
        folder += "/"
    query = sign_path(key, folder, expires_at)

    def sign(relative: str) -> str:
        return f"{base_url}{quote(folder + relative, safe=_SAFE)}?{query}"

    return sign


def _signature(key: bytes, path: str, expires_at: int) -> str:
    digest = hmac.new(key, f"{path}\n{expires_at}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _normal(path: str) -> bool:
    # "/media/a/../b/x" starts with "/media/a/" yet is b's file: refuse any such path.
    if not path.startswith("/") or "\\" in path or "\x00" in path:
        return False
    trimmed = path.rstrip("/") or "/"
    return posixpath.normpath(trimmed) == trimmed and "//" not in path
