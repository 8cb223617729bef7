"""``flix ingest``: encode a video file into a title's adaptive stream (DASH and HLS).

With S3 configured (FLIX_S3_BUCKET), the packaged folder is uploaded to the bucket and no
copy stays in the media root (media/published.py); /media serves it from there.

Ctrl-C at any point leaves nothing half-published: the title keeps the asset it had.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.ext.asyncio import create_async_engine

from core.errors import FlixError
from datasources.objects import ObjectStore
from datasources.playback.assets import MediaAsset
from datasources.stores import open_object_store
from lifecycle.audit import AuditAction
from media.drm import parse_master_key
from media.encode import AV1_PRESET
from media.ffmpeg import FfmpegError
from media.ingest import IngestOptions
from media.ingest import ingest as run_ingest
from media.published import object_key
from server.cli.audit_trail import audit_from_cli
from server.cli.migrate import require_database_url
from server.settings import Settings

_console = Console()
_errors = Console(stderr=True)


class LadderChoice(StrEnum):
    fixed = "fixed"
    per_title = "per-title"


class DrmChoice(StrEnum):
    none = "none"
    clearkey = "clearkey"


class StageBars:
    """core.progress.Progress drawn as one rich bar per stage and rung."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def start(self, key: str, description: str, total: float) -> None:
        self._tasks[key] = self._progress.add_task(description, total=total)

    def update(self, key: str, completed: float) -> None:
        self._progress.update(self._tasks[key], completed=completed)

    def finish(self, key: str) -> None:
        task = self._tasks[key]
        self._progress.update(task, completed=self._progress.tasks[task].total)


async def _ingest(
    database_url: str,
    source: Path,
    media_root: Path,
    video_id: int | None,
    episode_id: int | None,
    options: IngestOptions,
    master_key: bytes | None,
    objects: ObjectStore | None,
) -> MediaAsset:
    engine = create_async_engine(database_url)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    try:
        with Progress(
            *columns, TimeElapsedColumn(), TimeRemainingColumn(), console=_errors
        ) as progress:
            return await run_ingest(
                engine,
                source,
                media_root,
                video_id=video_id,
                episode_id=episode_id,
                options=options,
                master_key=master_key,
                progress=StageBars(progress),
                objects=objects,
            )
    finally:
        await engine.dispose()


def ingest(
    source: Annotated[Path, typer.Argument(help="The video file to encode.", dir_okay=False)],
    video_id: Annotated[
        int | None, typer.Option("--video-id", help="The movie this is the video of.")
    ] = None,
    episode_id: Annotated[
        int | None, typer.Option("--episode-id", help="The episode this is the video of.")
    ] = None,
    ladder: Annotated[
        LadderChoice,
        typer.Option(help="fixed: the standard 8 rungs; per-title: chosen by VMAF trials."),
    ] = LadderChoice.fixed,
    drm: Annotated[
        DrmChoice, typer.Option(help="clearkey: encrypt (CENC) and serve keys by license.")
    ] = DrmChoice.none,
    segment_seconds: Annotated[
        int, typer.Option(min=2, max=4, help="Segment (and GOP) length in seconds.")
    ] = 4,
    preset: Annotated[str, typer.Option(help="x264 preset: slower packs more quality.")] = (
        "veryfast"
    ),
    av1: Annotated[
        bool, typer.Option(help="Also encode an AV1 ladder (SVT-AV1; 10-bit HDR from HDR).")
    ] = False,
    av1_preset: Annotated[
        int, typer.Option(min=0, max=13, help="SVT-AV1 preset: lower packs more quality.")
    ] = AV1_PRESET,
    max_rungs: Annotated[
        int, typer.Option(min=1, max=8, help="At most this many rungs per codec.")
    ] = 8,
    media_root: Annotated[
        Path | None,
        typer.Option(
            help="Where assets are made, and published unless S3 is configured"
            " (default: the data folder's media/)."
        ),
    ] = None,
) -> None:
    """Encode SOURCE for a movie (--video-id) or an episode (--episode-id) and publish it."""
    if (video_id is None) == (episode_id is None):
        _errors.print("[red]Name exactly one of --video-id and --episode-id.[/red]")
        raise typer.Exit(2)
    settings = Settings()
    database_url = require_database_url(settings)
    root = media_root or settings.media_folder
    try:
        objects = open_object_store(settings.s3_config())
    except RuntimeError as exc:  # a bucket without credentials
        _errors.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    master_key = _master_key(settings.media_master_key) if drm is DrmChoice.clearkey else None
    options = IngestOptions(
        ladder="per-title" if ladder is LadderChoice.per_title else "fixed",
        drm="clearkey" if drm is DrmChoice.clearkey else "none",
        segment_seconds=segment_seconds,
        preset=preset,
        codecs=("h264", "av1") if av1 else ("h264",),
        av1_preset=av1_preset,
        max_rungs=max_rungs,
    )
    try:
        asset = asyncio.run(
            _ingest(database_url, source, root, video_id, episode_id, options, master_key, objects)
        )
    except KeyboardInterrupt:
        _errors.print("Interrupted: nothing was published. Run the command again to start over.")
        raise typer.Exit(130) from None
    except (FlixError, FfmpegError) as exc:
        _errors.print(f"[red]Ingest failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    target = f"video:{video_id}" if video_id is not None else f"episode:{episode_id}"
    details = {"drm": asset.drm, "ladder": options.ladder}
    asyncio.run(
        audit_from_cli(settings, AuditAction.MEDIA_INGESTED, target=target, details=details)
    )
    where = (
        f"s3://{objects.bucket}/{object_key(asset.storage_path or '')}"
        if objects is not None
        else str(root / (asset.storage_path or ""))
    )
    _summary(asset, where)


def _master_key(value: str | None) -> bytes:
    if not value:
        _errors.print("[red]--drm clearkey needs FLIX_MEDIA_MASTER_KEY (32 bytes, hex).[/red]")
        raise typer.Exit(2)
    try:
        return parse_master_key(value)
    except ValueError as exc:
        _errors.print(f"[red]FLIX_MEDIA_MASTER_KEY:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _summary(asset: MediaAsset, where: str) -> None:
    table = Table(title=f"Published {escape(where)}", title_justify="left")
    for column in ("rung", "size", "target kb/s", "peak kb/s", "VMAF", "codecs"):
        table.add_column(column)
    for rung in asset.ladder:
        vmaf = rung.get("vmaf")
        table.add_row(
            str(rung["id"]),
            f"{rung['width']}x{rung['height']}",
            str(round(rung["bitrate"] / 1000)),
            str(round(rung["bandwidth"] / 1000)),
            "-" if vmaf is None else f"{vmaf:.1f}",
            str(rung["codecs"]),
        )
    _console.print(table)
    size_mb = (asset.size_bytes or 0) / 1e6
    _console.print(
        f"{asset.duration_seconds:.1f} s, {size_mb:.1f} MB, DRM {asset.drm}"
        + (f" (key id {asset.key_id})" if asset.key_id else ""),
        highlight=False,
    )
