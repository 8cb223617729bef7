"""Media asset reads and writes: one row per title (a movie, or one episode).

An ingest moves a row through ``processing`` to ``ready`` (or ``failed``). A title that
already has a ready asset keeps it, and stays playable, while a new encode is made; the new
one replaces it in a single statement when it is published.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import BadUserInput, NotFound
from datasources.playback.tables import media_assets
from datasources.tables import episodes, videos

_PUBLIC_COLUMNS = [c for c in media_assets.c if c.name != "encrypted_key"]


@dataclass(frozen=True, slots=True)
class MediaAsset:
    id: int
    video_id: int
    episode_id: int | None
    status: str
    ladder: list[dict[str, Any]]
    duration_seconds: float | None
    codecs: tuple[str, ...]
    size_bytes: int | None
    drm: str
    key_id: UUID | None
    storage_path: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> MediaAsset:
        values = dict(row._mapping)
        values["codecs"] = tuple(values["codecs"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SealedKey:
    key_id: UUID
    encrypted_key: bytes


async def resolve_title(
    engine: AsyncEngine, video_id: int | None, episode_id: int | None
) -> tuple[int, int | None]:
    """The (video, episode) an asset belongs to: an episode brings its series' video id."""
    async with engine.connect() as connection:
        if episode_id is not None:
            owner = await connection.scalar(
                select(episodes.c.video_id).where(episodes.c.id == episode_id)
            )
            if owner is None:
                raise NotFound(f"no episode with id {episode_id}")
            if video_id is not None and video_id != owner:
                raise BadUserInput(f"episode {episode_id} belongs to video {owner}, not {video_id}")
            return owner, episode_id
        if video_id is None:
            raise BadUserInput("name a video or an episode")
        found = await connection.scalar(select(videos.c.id).where(videos.c.id == video_id))
        if found is None:
            raise NotFound(f"no video with id {video_id}")
        return video_id, None


def _title(video_id: int, episode_id: int | None) -> Any:
    episode = (
        media_assets.c.episode_id.is_(None)
        if episode_id is None
        else media_assets.c.episode_id == episode_id
    )
    return and_(media_assets.c.video_id == video_id, episode)


async def get_asset(
    engine: AsyncEngine, video_id: int, episode_id: int | None
) -> MediaAsset | None:
    async with engine.connect() as connection:
        return await _get(connection, video_id, episode_id)


async def _get(
    connection: AsyncConnection, video_id: int, episode_id: int | None, *, lock: bool = False
) -> MediaAsset | None:
    query = select(*_PUBLIC_COLUMNS).where(_title(video_id, episode_id))
    row = (await connection.execute(query.with_for_update() if lock else query)).one_or_none()
    return MediaAsset.from_row(row) if row else None


async def ready_assets(
    engine: AsyncEngine, titles: Sequence[tuple[int, int | None]]
) -> dict[tuple[int, int | None], MediaAsset]:
    """The ready assets of many titles in one statement (for a DataLoader)."""
    if not titles:
        return {}
    movies = [video for video, episode in titles if episode is None]
    shows = [(video, episode) for video, episode in titles if episode is not None]
    wanted = []
    if movies:
        wanted.append(
            and_(media_assets.c.video_id.in_(movies), media_assets.c.episode_id.is_(None))
        )
    if shows:
        wanted.append(tuple_(media_assets.c.video_id, media_assets.c.episode_id).in_(shows))
    query = select(*_PUBLIC_COLUMNS).where(media_assets.c.status == "ready").where(or_(*wanted))
    async with engine.connect() as connection:
        assets = [MediaAsset.from_row(row) for row in await connection.execute(query)]
    return {(asset.video_id, asset.episode_id): asset for asset in assets}


async def sealed_key(
    engine: AsyncEngine, video_id: int, episode_id: int | None
) -> SealedKey | None:
    """The encrypted content key of a ready Clear Key asset."""
    query = (
        select(media_assets.c.key_id, media_assets.c.encrypted_key)
        .where(_title(video_id, episode_id))
        .where(media_assets.c.status == "ready", media_assets.c.drm == "clearkey")
    )
    async with engine.connect() as connection:
        row = (await connection.execute(query)).one_or_none()
    return SealedKey(row.key_id, bytes(row.encrypted_key)) if row else None


async def title_with_key(
    engine: AsyncEngine, key_ids: Collection[UUID]
) -> tuple[int, int | None] | None:
    """The (video, episode) whose ready Clear Key asset is encrypted under one of ``key_ids``.

    A license request names key ids, not titles: this is how a license URL that names no
    title (the one in the MPD, which is per asset) finds the title to check access to.
    Key ids are random 128-bit values, one per encode, so at most one asset has it.
    """
    query = (
        select(media_assets.c.video_id, media_assets.c.episode_id)
        .where(media_assets.c.key_id.in_(key_ids))
        .where(media_assets.c.status == "ready", media_assets.c.drm == "clearkey")
        .limit(1)
    )
    if not key_ids:
        return None
    async with engine.connect() as connection:
        row = (await connection.execute(query)).first()
    return (int(row.video_id), row.episode_id) if row else None


async def begin_ingest(
    engine: AsyncEngine, video_id: int, episode_id: int | None
) -> MediaAsset | None:
    """Mark the title as being encoded and return its row as it was before.

    A ready asset is left as it is: it stays playable until the new one replaces it.
    """
    async with engine.begin() as connection:
        previous = await _get(connection, video_id, episode_id, lock=True)
        if previous is None:
            await connection.execute(
                insert(media_assets)
                .values(video_id=video_id, episode_id=episode_id, status="processing")
                .on_conflict_do_nothing(constraint="uq_media_assets_title")
            )
        elif previous.status != "ready":
            await connection.execute(
                update(media_assets)
                .where(media_assets.c.id == previous.id)
                .values(status="processing", error=None, updated_at=func.now())
            )
        return previous


async def abandon_ingest(
    engine: AsyncEngine, video_id: int, episode_id: int | None, previous: MediaAsset | None
) -> None:
    """Undo :func:`begin_ingest` after an interrupt: the row is as if nothing had started."""
    async with engine.begin() as connection:
        if previous is None:
            await connection.execute(
                delete(media_assets)
                .where(_title(video_id, episode_id))
                .where(media_assets.c.status == "processing")
            )
        elif previous.status != "ready":
            await connection.execute(
                update(media_assets)
                .where(media_assets.c.id == previous.id, media_assets.c.status == "processing")
                .values(status=previous.status, error=previous.error, updated_at=func.now())
            )


async def fail_ingest(
    engine: AsyncEngine, video_id: int, episode_id: int | None, error: str
) -> None:
    """Record why an ingest failed, unless an older ready asset is still being served."""
    async with engine.begin() as connection:
        await connection.execute(
            update(media_assets)
            .where(_title(video_id, episode_id), media_assets.c.status != "ready")
            .values(status="failed", error=error, updated_at=func.now())
        )


async def publish(
    engine: AsyncEngine, video_id: int, episode_id: int | None, values: Mapping[str, Any]
) -> tuple[MediaAsset, str | None]:
    """Make a new encode the title's ready asset; returns it and the storage path it replaced."""
    async with engine.begin() as connection:
        previous = await _get(connection, video_id, episode_id, lock=True)
        fields = {**values, "status": "ready", "error": None}
        statement = (
            insert(media_assets)
            .values(video_id=video_id, episode_id=episode_id, **fields)
            .on_conflict_do_update(
                constraint="uq_media_assets_title", set_={**fields, "updated_at": func.now()}
            )
            .returning(*_PUBLIC_COLUMNS)
        )
        row = (await connection.execute(statement)).one()
    old_path = previous.storage_path if previous is not None else None
    return MediaAsset.from_row(row), old_path


async def any_ready(engine: AsyncEngine) -> bool:
    """Whether any title has playable media (the demo encodes only into an empty library)."""
    query = select(media_assets.c.id).where(media_assets.c.status == "ready").limit(1)
    async with engine.connect() as connection:
        return (await connection.scalar(query)) is not None
