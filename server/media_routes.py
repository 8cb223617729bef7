"""/media (manifests, segments, images) and the Clear Key license endpoint.

Every /media URL carries a signature (media.signing); a wrong or expired one is a 403.
Manifests and HLS playlists are rendered per request, capped at the height their URL was
signed for, and name this server's license endpoint; everything else is a file, served
with Range support.

With S3 configured, assets ``flix ingest`` published to the bucket (media/published.py)
are proxied from it: the same signature check first, then the object streamed through, a
Range answered 206 with the slice (cut here: rclone ignores Range), the same CORS and
cache headers. Proxied rather than redirected to a presigned URL, because a 302 to the
bucket's origin would need CORS on the bucket (rclone serves none, and most buckets are
not set up for it), would give players a second origin to trust, and would bypass the
cache headers set here; a CDN in front (FLIX_MEDIA_BASE_URL) keeps the immutable segments,
so the web tier streams only its misses. A file still in the media root is served from
there first. The bucket away is a 503 UNAVAILABLE, as any store's outage is.

An edge in front (server/edge/, docs/edge.md) asks ``/media-authorize`` whether a URL's
signature is good (204/403, no body) and caches the verdict per signature; manifests tell it,
in ``X-Accel-Expires``, to keep them until their signature expires.

Players on other origins call the license endpoint too (docs/drm_and_players.md): it
answers CORS preflights, and lets the listed origins (``FLIX_DRM_LICENSE_ORIGINS``) send
the session cookie; any other origin may call it with a bearer token only.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote

import structlog
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from core.errors import FlixError
from datasources.objects import (
    InvalidKey,
    ObjectMissing,
    ObjectStore,
    ObjectStoreError,
    ObjectStoreUnavailable,
)
from media.delivery import PREFIX, AssetUrls, ManifestRequest, MediaKeys, PlaylistRequest, parse
from media.manifests import (
    KEY_PATH,
    LICENSE_PATH,
    MEDIA_TYPES,
    render_hls_iframes,
    render_hls_master,
    render_hls_media,
    render_mpd,
)
from media.published import object_key, published_manifest
from media.signing import verify
from resolvers.playback import license
from server.edge.config import AUTHORIZE_PATH
from server.middleware import error_body
from server.request_context import ContextFactory

log = structlog.get_logger("flix.media")
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Content-Length"}
IMMUTABLE = "public, max-age=31536000, immutable"
# A preflight's answer is good for ten minutes: one per player session, not per request.
_LICENSE_PREFLIGHT = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}
_STATUS = {"UNAUTHENTICATED": 401, "PROFILE_REQUIRED": 403, "FORBIDDEN": 403, "NOT_FOUND": 404}
# One range of bytes (``bytes=0-99``, ``bytes=100-``, ``bytes=-100``): what players send.
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# How long an edge keeps the origin's "no" to one signature (server/edge/).
_REFUSAL_SECONDS = 5


def _refuse(status: int, message: str) -> Response:
    code = {403: "FORBIDDEN", 404: "NOT_FOUND", 503: "UNAVAILABLE", 500: "INTERNAL"}.get(
        status, "BAD_USER_INPUT"
    )
    return JSONResponse(error_body(message, code), status_code=status, headers=CORS)


def _text(body: str, suffix: str, expires_at: int) -> Response:
    # Private to browsers (a minute); an edge keeps it until its signature expires (nginx's
    # X-Accel-Expires, which it does not pass on): it is this signed URL's own rendering.
    headers = {**CORS, "Cache-Control": "private, max-age=60", "X-Accel-Expires": f"@{expires_at}"}
    return Response(body, media_type=MEDIA_TYPES[suffix], headers=headers)


def _expires(query: str) -> int:
    """The expiry the request was signed with: the URLs inside a manifest expire with it."""
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == "exp" and value.isdigit():
            return int(value)
    return 0


async def _render(
    request: Request, wanted: ManifestRequest | PlaylistRequest, keys: MediaKeys
) -> Response:
    try:
        manifest = await published_manifest(keys, wanted.asset)
    except FileNotFoundError:
        return _refuse(404, "No such media.")
    expires_at = _expires(request.url.query)
    urls = AssetUrls(keys.signing_key, keys.base_url, wanted.asset, expires_at)
    # Absolute: a player resolves a license URL against its page, not the manifest.
    drm_origin = str(request.base_url).rstrip("/")
    if isinstance(wanted, PlaylistRequest):
        track = next(
            (
                t
                for t in (*manifest.video, manifest.audio)
                if t is not None and t.playlist.startswith(wanted.track_folder + "/")
            ),
            None,
        )
        if track is None or (wanted.iframes and not track.keyframe_sizes):
            return _refuse(404, "No such track.")
        render = render_hls_iframes if wanted.iframes else render_hls_media
        playlist = render(manifest, track.id, sign=urls.sign, drm_origin=drm_origin)
        return _text(playlist, ".m3u8", expires_at)
    if wanted.kind == "manifest":
        mpd = render_mpd(
            manifest,
            sign=urls.sign,
            max_height=wanted.max_height,
            families=wanted.families,
            license_url=drm_origin + LICENSE_PATH,
        )
        return _text(mpd, ".mpd", expires_at)
    master = render_hls_master(
        manifest, sign=urls.sign, max_height=wanted.max_height, families=wanted.families
    )
    return _text(master, ".m3u8", expires_at)


async def media(request: Request) -> Response:
    keys: MediaKeys = request.app.state.media
    path = request.url.path
    if not verify(keys.signing_key, path, request.url.query, time.time()):
        return _refuse(403, "This media link is invalid or has expired.")
    try:
        wanted = parse(path)
        if wanted is not None:
            return await _render(request, wanted, keys)
        relative = path.removeprefix(PREFIX)
        if any(part.startswith(".") for part in relative.split("/")):
            return _refuse(404, "No such media.")  # staging and retired work is never public
        file = (keys.media_root / relative).resolve()
        if keys.media_root.resolve() in file.parents and file.is_file():
            headers = {**CORS, "Cache-Control": IMMUTABLE}
            return FileResponse(file, media_type=MEDIA_TYPES.get(file.suffix), headers=headers)
        if keys.objects is None:
            return _refuse(404, "No such media.")
        return await _from_bucket(request, keys.objects, relative)
    except (ObjectMissing, InvalidKey):
        return _refuse(404, "No such media.")
    except ObjectStoreUnavailable as error:
        log.warning("media_store_unavailable", path=path, error=error.message)
        return _refuse(503, "Media storage is unavailable; try again shortly.")
    except ObjectStoreError as error:
        # Credentials, permissions, a missing bucket: the configuration is wrong.
        log.error("media_store_refused", path=path, error=error.message)
        return _refuse(500, "Media storage refused the request.")


async def _from_bucket(request: Request, objects: ObjectStore, relative: str) -> Response:
    """A published file streamed from the bucket: whole, or the one range asked for."""
    key = object_key(relative)
    media_type = MEDIA_TYPES.get(PurePosixPath(relative).suffix)
    headers = {**CORS, "Cache-Control": IMMUTABLE, "Accept-Ranges": "bytes"}
    if request.method == "HEAD":
        info = await objects.head(key)
        if info is None:
            raise ObjectMissing(f"no object at {key!r}")
        headers["Content-Length"] = str(info.size)
        return Response(headers=headers, media_type=media_type)
    stream = await objects.open(key)
    size = stream.info.size
    span = _byte_range(request.headers.get("range"), size)
    if isinstance(span, str):  # "unsatisfiable"
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    start, end = span or (0, size - 1)
    headers["Content-Length"] = str(end - start + 1)
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    body = _slice(stream.chunks, start, end + 1, key)
    status = 206 if span is not None else 200
    return StreamingResponse(body, status_code=status, headers=headers, media_type=media_type)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """The first and last byte a Range header asks for, "unsatisfiable", or None for the
    whole file (no Range, or one this does not read: RFC 9110 lets a server ignore it)."""
    match = _RANGE.match(header.strip()) if header else None
    if match is None or match[1] == match[2] == "":
        return None
    if match[1] == "":  # the last N bytes
        length = int(match[2])
        return (max(size - length, 0), size - 1) if length and size else "unsatisfiable"
    start = int(match[1])
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    if match[2] and int(match[2]) < start:
        return None  # an invalid range is ignored, not refused
    return (start, end) if start < size else "unsatisfiable"


async def _slice(
    chunks: AsyncIterator[bytes], start: int, stop: int, key: str
) -> AsyncIterator[bytes]:
    """Bytes [start, stop) of the stream; the rest is read past (or never read)."""
    offset = 0
    try:
        async for chunk in chunks:
            if offset + len(chunk) > start:
                yield chunk[max(start - offset, 0) : stop - offset]
            offset += len(chunk)
            if offset >= stop:
                return
    except ObjectStoreUnavailable as error:
        # Too late for a status: the connection is dropped and the player retries.
        log.warning("media_store_lost_mid_stream", key=key, error=error.message)
        raise


async def media_authorize(request: Request) -> Response:
    """Whether the /media URL an edge was asked for (``X-Original-URI``: path and query as
    the client sent them) carries a good signature: 204, else 403, with no body.

    The edge (server/edge/) caches the verdict per signature, so ``X-Accel-Expires`` (nginx's
    own header, never passed on to clients) says for how long: a grant until the signature's
    expiry, a refusal for a few seconds (a tampered URL asked again and again stays cheap).
    Only the signature is checked here; whether the file exists is the edge's cache miss.
    """
    keys: MediaKeys = request.app.state.media
    path, _, query = request.headers.get("x-original-uri", "").partition("?")
    path = unquote(path)
    if path.startswith(PREFIX) and verify(keys.signing_key, path, query, time.time()):
        return Response(status_code=204, headers={"X-Accel-Expires": f"@{_expires(query)}"})
    return Response(status_code=403, headers={"X-Accel-Expires": str(_REFUSAL_SECONDS)})


def license_cors(request: Request) -> dict[str, str]:
    """The CORS headers of a license answer to this request's origin.

    A listed origin may send credentials (the session cookie), so it is echoed and the
    answer varies by Origin. Any other origin gets ``*``, which a browser never combines
    with cookies: only an ``Authorization: Bearer`` request can succeed from there.
    """
    contexts: ContextFactory = request.app.state.contexts
    origin = request.headers.get("origin")
    if origin is not None and origin in contexts.settings.drm_license_origin_set:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }
    return {"Access-Control-Allow-Origin": "*", "Vary": "Origin"}


async def clearkey_license(request: Request) -> Response:
    """The W3C Clear Key license: the key only for a session allowed to play the title.

    ``?video=`` (and ``&episode=``) name the title, as the playback query's license URL
    does; without them the title is the one whose key is asked for (the manifests' URL).
    """
    cors = license_cors(request)
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={**cors, **_LICENSE_PREFLIGHT})
    contexts: ContextFactory = request.app.state.contexts
    if request.app.state.media_master_key is None:
        body = error_body("DRM is not configured.", "NOT_FOUND")
        return JSONResponse(body, status_code=404, headers=cors)
    try:
        answer = await license.clearkey_license(
            await contexts.build(request, None),
            request.app.state.media_master_key,
            request.query_params.get("video"),
            request.query_params.get("episode"),
            await request.body(),
        )
    except FlixError as error:
        status = _STATUS.get(error.code, 400)
        body = error_body(error.message, error.code)
        return JSONResponse(body, status_code=status, headers=cors)
    except (ValueError, json.JSONDecodeError) as error:
        body = error_body(str(error), "BAD_USER_INPUT")
        return JSONResponse(body, status_code=400, headers=cors)
    return JSONResponse(answer, headers={**cors, "Cache-Control": "no-store"})


async def clearkey_key(request: Request) -> Response:
    """The raw content key an HLS ``KEYFORMAT="identity"`` URI names (``?kid=<hex>``): the
    same key, under the same checks and CORS, as the license."""
    cors = license_cors(request)
    if request.method == "OPTIONS":
        preflight = {**_LICENSE_PREFLIGHT, "Access-Control-Allow-Methods": "GET, OPTIONS"}
        return Response(status_code=204, headers={**cors, **preflight})
    contexts: ContextFactory = request.app.state.contexts
    if request.app.state.media_master_key is None:
        body = error_body("DRM is not configured.", "NOT_FOUND")
        return JSONResponse(body, status_code=404, headers=cors)
    try:
        key = await license.clearkey_content_key(
            await contexts.build(request, None),
            request.app.state.media_master_key,
            request.query_params.get("kid", ""),
        )
    except FlixError as error:
        status = _STATUS.get(error.code, 400)
        body = error_body(error.message, error.code)
        return JSONResponse(body, status_code=status, headers=cors)
    headers = {**cors, "Cache-Control": "no-store"}
    return Response(key, media_type="application/octet-stream", headers=headers)


def media_routes() -> list[BaseRoute]:
    return [
        Route(PREFIX + "{path:path}", media, methods=["GET", "HEAD"]),
        Route(AUTHORIZE_PATH, media_authorize, methods=["GET", "HEAD"]),
        Route(LICENSE_PATH, clearkey_license, methods=["POST", "OPTIONS"]),
        Route(KEY_PATH, clearkey_key, methods=["GET", "OPTIONS"]),
    ]
