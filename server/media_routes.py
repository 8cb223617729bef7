"""/media (manifests, segments, images) and the Clear Key license endpoint.

Every /media URL carries a signature (media.signing); a wrong or expired one is a 403.
Manifests and HLS playlists are rendered per request, capped at the height their URL was
signed for, and name this server's license endpoint; everything else is a file, served
with Range support.

Players on other origins call the license endpoint too (docs/drm_and_players.md): it
answers CORS preflights, and lets the listed origins (``FLIX_DRM_LICENSE_ORIGINS``) send
the session cookie; any other origin may call it with a bearer token only.
"""

from __future__ import annotations

import json
import time

import structlog
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from core.errors import FlixError
from media.delivery import PREFIX, AssetUrls, ManifestRequest, MediaKeys, PlaylistRequest, parse
from media.manifests import (
    KEY_PATH,
    LICENSE_PATH,
    MEDIA_TYPES,
    load_manifest,
    render_hls_iframes,
    render_hls_master,
    render_hls_media,
    render_mpd,
)
from media.signing import verify
from resolvers.playback import license
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


def _refuse(status: int, message: str) -> Response:
    code = {403: "FORBIDDEN", 404: "NOT_FOUND"}.get(status, "BAD_USER_INPUT")
    return JSONResponse(error_body(message, code), status_code=status, headers=CORS)


def _text(body: str, suffix: str) -> Response:
    headers = {**CORS, "Cache-Control": "private, max-age=60"}
    return Response(body, media_type=MEDIA_TYPES[suffix], headers=headers)


def _expires(query: str) -> int:
    """The expiry the request was signed with: the URLs inside a manifest expire with it."""
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == "exp" and value.isdigit():
            return int(value)
    return 0


def _render(
    request: Request, wanted: ManifestRequest | PlaylistRequest, keys: MediaKeys
) -> Response:
    folder = keys.media_root / wanted.asset
    if not (folder / "asset.json").is_file():
        return _refuse(404, "No such media.")
    manifest = load_manifest(folder)
    urls = AssetUrls(keys.signing_key, keys.base_url, wanted.asset, _expires(request.url.query))
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
        return _text(render(manifest, track.id, sign=urls.sign, drm_origin=drm_origin), ".m3u8")
    if wanted.kind == "manifest":
        mpd = render_mpd(
            manifest,
            sign=urls.sign,
            max_height=wanted.max_height,
            families=wanted.families,
            license_url=drm_origin + LICENSE_PATH,
        )
        return _text(mpd, ".mpd")
    master = render_hls_master(
        manifest, sign=urls.sign, max_height=wanted.max_height, families=wanted.families
    )
    return _text(master, ".m3u8")


async def media(request: Request) -> Response:
    keys: MediaKeys = request.app.state.media
    path = request.url.path
    if not verify(keys.signing_key, path, request.url.query, time.time()):
        return _refuse(403, "This media link is invalid or has expired.")
    wanted = parse(path)
    if wanted is not None:
        return _render(request, wanted, keys)
    relative = path.removeprefix(PREFIX)
    if any(part.startswith(".") for part in relative.split("/")):
        return _refuse(404, "No such media.")  # staging and retired work is never public
    file = (keys.media_root / relative).resolve()
    if keys.media_root.resolve() not in file.parents or not file.is_file():
        return _refuse(404, "No such media.")
    headers = {**CORS, "Cache-Control": IMMUTABLE}
    return FileResponse(file, media_type=MEDIA_TYPES.get(file.suffix), headers=headers)


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
        Route(LICENSE_PATH, clearkey_license, methods=["POST", "OPTIONS"]),
        Route(KEY_PATH, clearkey_key, methods=["GET", "OPTIONS"]),
    ]
