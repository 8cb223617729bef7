"""Heartbeats in bulk: one statement writes a window's progress upserts, the titles' new
standings and the outbox rows of the updates that landed, and says which landed where.

Last write wins per key, decided by PostgreSQL as for a single write (``ON CONFLICT ... WHERE``
newer by client time, device, position). A statement may not touch one row twice, so a
window holding two updates of one key is written in rounds, in arrival order, in one
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.viewing_records import Applied, ProgressUpdate, TitleState
from datasources.events import Outgoing


@dataclass(frozen=True)
class Heartbeat:
    update: ProgressUpdate
    title: TitleState
    event: Outgoing | None  # written to the outbox if the update lands


_WRITE = text(
    """
WITH input AS (
    SELECT * FROM unnest(
        CAST(:ord AS int[]), CAST(:profile_id AS uuid[]), CAST(:video_id AS bigint[]),
        CAST(:episode_id AS bigint[]), CAST(:position AS float8[]), CAST(:duration AS float8[]),
        CAST(:client_timestamp AS timestamptz[]), CAST(:device_id AS text[]),
        CAST(:title_video_id AS bigint[]), CAST(:title_episode_id AS bigint[]),
        CAST(:title_position AS float8[]), CAST(:title_duration AS float8[]),
        CAST(:title_state AS text[]), CAST(:title_client_timestamp AS timestamptz[]),
        CAST(:title_device_id AS text[]), CAST(:subject AS text[]),
        CAST(:message_id AS text[]), CAST(:payload AS text[])
    ) AS i(ord, profile_id, video_id, episode_id, position, duration, client_timestamp,
           device_id, title_video_id, title_episode_id, title_position, title_duration,
           title_state, title_client_timestamp, title_device_id, subject, message_id, payload)
), progress AS (
    INSERT INTO viewing_progress AS stored (profile_id, video_id, episode_id, position_seconds,
        duration_seconds, client_timestamp, device_id, updated_at)
    SELECT profile_id, video_id, episode_id, position, duration, client_timestamp, device_id,
        now()
    FROM input
    ON CONFLICT (profile_id, video_id, episode_id) DO UPDATE SET
        position_seconds = excluded.position_seconds,
        duration_seconds = excluded.duration_seconds,
        client_timestamp = excluded.client_timestamp,
        device_id = excluded.device_id,
        updated_at = excluded.updated_at
    WHERE (excluded.client_timestamp, excluded.device_id, excluded.position_seconds)
        > (stored.client_timestamp, stored.device_id, stored.position_seconds)
    RETURNING profile_id, video_id, episode_id
), standing AS (
    INSERT INTO viewing_titles AS stored (profile_id, video_id, episode_id, position_seconds,
        duration_seconds, state, client_timestamp, device_id)
    SELECT profile_id, title_video_id, title_episode_id, title_position, title_duration,
        title_state, title_client_timestamp, title_device_id
    FROM input
    ON CONFLICT (profile_id, video_id) DO UPDATE SET
        episode_id = excluded.episode_id,
        position_seconds = excluded.position_seconds,
        duration_seconds = excluded.duration_seconds,
        state = excluded.state,
        client_timestamp = excluded.client_timestamp,
        device_id = excluded.device_id
    WHERE (excluded.client_timestamp, excluded.device_id, excluded.position_seconds)
        > (stored.client_timestamp, stored.device_id, stored.position_seconds)
    RETURNING profile_id, video_id
), outcome AS (
    SELECT input.*,
        EXISTS (SELECT 1 FROM progress p WHERE (p.profile_id, p.video_id, p.episode_id)
                = (input.profile_id, input.video_id, input.episode_id)) AS progress_landed,
        EXISTS (SELECT 1 FROM standing t WHERE (t.profile_id, t.video_id)
                = (input.profile_id, input.title_video_id)) AS title_landed
    FROM input
), landed AS (
    SELECT * FROM outcome WHERE progress_landed OR title_landed
), queued AS (
    INSERT INTO event_outbox (subject, message_id, payload)
    SELECT subject, message_id, CAST(payload AS jsonb) FROM landed WHERE message_id IS NOT NULL
    ON CONFLICT (message_id) DO NOTHING
)
SELECT ord, progress_landed, title_landed FROM landed
"""
)


def rounds(heartbeats: Sequence[Heartbeat]) -> list[list[int]]:
    """Indexes of ``heartbeats`` in rounds where no progress key and no title key repeats,
    each key's updates in arrival order across the rounds."""
    taken: list[tuple[set[object], set[object]]] = []
    result: list[list[int]] = []
    for index, beat in enumerate(heartbeats):
        update = beat.update
        progress_key = (update.profile_id, update.video_id, update.episode_id)
        title_key = (update.profile_id, beat.title.video_id)
        # After the last round holding either key, so a key's updates keep their order.
        start = 0
        for number, (progress_keys, title_keys) in enumerate(taken):
            if progress_key in progress_keys or title_key in title_keys:
                start = number + 1
        if start == len(taken):
            taken.append((set(), set()))
            result.append([])
        taken[start][0].add(progress_key)
        taken[start][1].add(title_key)
        result[start].append(index)
    return result


def _columns(heartbeats: Sequence[Heartbeat], indexes: Sequence[int]) -> dict[str, list[object]]:
    beats = [(index, heartbeats[index]) for index in indexes]
    return {
        "ord": [index for index, _ in beats],
        "profile_id": [b.update.profile_id for _, b in beats],
        "video_id": [b.update.video_id for _, b in beats],
        "episode_id": [b.update.episode_id for _, b in beats],
        "position": [b.update.position_seconds for _, b in beats],
        "duration": [b.update.duration_seconds for _, b in beats],
        "client_timestamp": [b.update.client_timestamp for _, b in beats],
        "device_id": [b.update.device_id for _, b in beats],
        "title_video_id": [b.title.video_id for _, b in beats],
        "title_episode_id": [b.title.episode_id for _, b in beats],
        "title_position": [b.title.position_seconds for _, b in beats],
        "title_duration": [b.title.duration_seconds for _, b in beats],
        "title_state": [b.title.state.value for _, b in beats],
        "title_client_timestamp": [b.title.client_timestamp for _, b in beats],
        "title_device_id": [b.title.device_id for _, b in beats],
        "subject": [b.event.subject if b.event else None for _, b in beats],
        "message_id": [b.event.message_id if b.event else None for _, b in beats],
        "payload": [json.dumps(dict(b.event.payload)) if b.event else None for _, b in beats],
    }


async def write(
    connection: AsyncConnection, heartbeats: Sequence[Heartbeat], in_rounds: list[list[int]]
) -> list[Applied]:
    """Write every heartbeat, ``rounds(heartbeats)`` as given (several need the caller's
    transaction; one is a single statement, atomic alone); what each changed."""
    unchanged = Applied(progress=False, title=False)
    applied = [unchanged] * len(heartbeats)
    for indexes in in_rounds:
        result = await connection.execute(_WRITE, _columns(heartbeats, indexes))
        for ord_, progress_landed, title_landed in result:
            applied[ord_] = Applied(progress=progress_landed, title=title_landed)
    return applied
