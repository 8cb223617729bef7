"""The metrics consumer: QoE and viewing events become per-profile experiment numbers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.tables import experiment_profiles
from experiments.consumer import (
    on_playback_event,
    on_viewing_event,
    playback_increments,
    viewing_increments,
)

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def test_increments_per_event_kind() -> None:
    assert playback_increments({"type": "START"}) == {"starts": 1}
    assert playback_increments({"type": "FIRST_FRAME", "duration_ms": 300}) == {
        "first_frame_ms_total": 300.0,
        "first_frames": 1,
    }
    assert playback_increments({"type": "REBUFFER_END", "duration_ms": 1500}) == {
        "rebuffer_seconds": 1.5
    }
    assert playback_increments({"type": "END", "duration_ms": 60_000}) == {"watch_seconds": 60.0}
    assert playback_increments({"type": "BITRATE_SWITCH"}) == {}
    done = {"kind": "progress", "position_seconds": 97, "duration_seconds": 100}
    assert viewing_increments(done) == {"completions": 1}
    assert viewing_increments({**done, "position_seconds": 50}) == {}


async def test_events_count_only_after_the_exposure(clean_database: str) -> None:
    engine = create_async_engine(clean_database)
    profile = uuid.uuid4()
    async with engine.begin() as connection:
        await connection.execute(
            insert(experiment_profiles).values(
                experiment_key="rows", phase=1, profile_id=profile, variant="b", exposed_at=T0
            )
        )
    before, after = (T0 - timedelta(hours=1)).isoformat(), (T0 + timedelta(hours=1)).isoformat()
    for at in (before, after, after):
        await on_playback_event(engine, {"type": "START", "profile_id": str(profile), "at": at})
    await on_viewing_event(
        engine,
        {
            "kind": "progress",
            "profile_id": str(profile),
            "client_timestamp": after,
            "position_seconds": 99,
            "duration_seconds": 100,
        },
    )
    async with engine.connect() as connection:
        row = (await connection.execute(select(experiment_profiles))).one()
    await engine.dispose()
    assert (row.starts, row.completions) == (2, 1)
