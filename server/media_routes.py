"""/media (manifests, segments, images) and the Clear Key license endpoint.

Every /media URL carries a signature (media.signing); a wrong or expired one is a 403.
Manifests and HLS playlists are rendered per request, capped at the height their URL was
signed for; everything else is a file, served with Range support.
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
    MEDIA_TYPES,
    load_manifest,
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
    if isinstance(wanted, PlaylistRequest):
        track = next(
            (
                t
                for t in (*manifest.video, manifest.audio)
                if t is not None and t.playlist.startswith(wanted.track_folder + "/")
            ),
            None,
        )
        if track is None:
            return _refuse(404, "No such track.")
        return _text(render_hls_media(manifest, track.id, sign=urls.sign), ".m3u8")
    if wanted.kind == "manifest":
        # The license URL reaches the player through the playback query, not the MPD.
        return _text(render_mpd(manifest, sign=urls.sign, max_height=wanted.max_height), ".mpd")
    return _text(render_hls_master(manifest, sign=urls.sign, max_height=wanted.max_height), ".m3u8")


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


async def clearkey_license(request: Request) -> Response:
    """The W3C Clear Key license: the key only for a session allowed to play the title."""
    contexts: ContextFactory = request.app.state.contexts
    if request.app.state.media_master_key is None:
        return JSONResponse(error_body("DRM is not configured.", "NOT_FOUND"), status_code=404)
    try:
        answer = await license.clearkey_license(
            await contexts.build(request, None),
            request.app.state.media_master_key,
            request.query_params.get("video", ""),
            request.query_params.get("episode"),
            await request.body(),
        )
    except FlixError as error:
        status = _STATUS.get(error.code, 400)
        return JSONResponse(error_body(error.message, error.code), status_code=status)
    except (ValueError, json.JSONDecodeError) as error:
        return JSONResponse(error_body(str(error), "BAD_USER_INPUT"), status_code=400)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


def media_routes() -> list[BaseRoute]:
    return [
        Route(PREFIX + "{path:path}", media, methods=["GET", "HEAD"]),
        Route("/drm/clearkey/license", clearkey_license, methods=["POST"]),
    ]
