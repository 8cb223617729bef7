"""Published assets in the object store: uploading a packaged folder, reading it back.

With S3 configured, ``flix ingest`` uploads the folder it packaged to ``media/<asset>/``
(the same relative paths as on disk) and keeps no copy, so the web tier holds no media:
/media reads the bucket. An asset folder still in the media root (the demo's, or one
published before the bucket was configured) is served from there, first.

An asset's name is new on every ingest and its files never change under it, so what is
read of one (its description, asset.json) may be cached for as long as the process lives
(in its MediaKeys, so each app has its own).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from core.progress import NoProgress, Progress
from datasources.objects import ObjectStore, ObjectStoreError
from media.delivery import MediaKeys
from media.manifests import (
    DESCRIPTION_FILE,
    FORMAT_VERSION,
    MEDIA_TYPES,
    AssetManifest,
    load_manifest,
)

MEDIA_PREFIX = "media"
# Replaced assets are marked here (an empty object; its time is when) until deleted.
RETIRED_PREFIX = "media-retired"
# Files uploaded at once: segments are small, so one at a time would wait on round trips.
_UPLOADS = 4
_CACHED_MANIFESTS = 256


def object_key(relative: str) -> str:
    """The key of ``<asset>/<path in its folder>``."""
    return f"{MEDIA_PREFIX}/{relative}"


async def upload_folder(
    objects: ObjectStore, folder: Path, asset: str, progress: Progress | None = None
) -> int:
    """Upload every file of ``folder`` under the asset's prefix and check the bucket holds
    them all, at their sizes; the number of bytes. ObjectStoreError when it does not.

    The description (asset.json) goes last: a prefix without it is an unfinished upload.
    """
    report = progress or NoProgress()
    files = await asyncio.to_thread(_files, folder)
    sizes = {
        object_key(f"{asset}/{p.relative_to(folder).as_posix()}"): p.stat().st_size for p in files
    }
    total = sum(sizes.values())
    report.start("upload", f"Uploading to the bucket {objects.bucket!r}", max(total, 1))
    sent = 0
    slots = asyncio.Semaphore(_UPLOADS)

    async def put(path: Path) -> None:
        nonlocal sent
        key = object_key(f"{asset}/{path.relative_to(folder).as_posix()}")
        async with slots:
            await objects.put_file(key, path, content_type=MEDIA_TYPES.get(path.suffix))
        sent += sizes[key]
        report.update("upload", sent)

    *parts, description = files
    async with asyncio.TaskGroup() as group:
        for path in parts:
            group.create_task(put(path))
    await put(description)
    listed = {info.key: info.size for info in await objects.list(object_key(asset))}
    if listed != sizes:
        missing = sorted(set(sizes) - set(listed))[:3]
        raise ObjectStoreError(
            f"the bucket does not hold the upload of {asset} whole (e.g. {missing})"
        )
    report.finish("upload")
    return total


def _files(folder: Path) -> list[Path]:
    return sorted(
        (path for path in folder.rglob("*") if path.is_file()),
        key=lambda path: (path.name == DESCRIPTION_FILE, str(path)),
    )


async def delete_asset(objects: ObjectStore, asset: str) -> None:
    """Remove every object of the asset (an unfinished upload, or a retired encode)."""
    for info in await objects.list(object_key(asset)):
        await objects.delete(info.key)


async def published_manifest(keys: MediaKeys, asset: str) -> AssetManifest:
    """The description of a published asset, from the media root or else the bucket.

    FileNotFoundError or ObjectMissing when there is no such asset, ObjectStoreUnavailable
    when the bucket does not answer.
    """
    folder = keys.media_root / asset
    if keys.objects is None or (folder / DESCRIPTION_FILE).is_file():
        return await asyncio.to_thread(load_manifest, folder)
    if (manifest := keys.manifests.get(asset)) is not None:
        return manifest
    data = await keys.objects.get(object_key(f"{asset}/{DESCRIPTION_FILE}"))
    described = json.loads(data)
    if described.get("format") != FORMAT_VERSION:
        raise ValueError(f"{asset}: asset format {described.get('format')!r} is not supported")
    manifest = AssetManifest.from_json(described)
    if len(keys.manifests) >= _CACHED_MANIFESTS:
        keys.manifests.pop(next(iter(keys.manifests)))  # the oldest: dicts keep their order
    keys.manifests[asset] = manifest
    return manifest
