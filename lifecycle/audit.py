"""The audit trail: who did what, published to the ``AUDIT`` stream and archived for 7 years.

One function (:func:`audit`) and a closed vocabulary (:class:`AuditAction`), so that every
record has the same shape and a reader can rely on the list of actions. Personal data sits
only in the fields ``PERSONAL_FIELDS`` names (the ones erasure seals under the person's
key); ``target`` and ``details`` must never hold any.

Publishing never fails the action it records: a broker that does not answer leaves the
record in the outbox for the relay (``EventLog.publish``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID, uuid4

import structlog

from datasources.events import EventLog, Stream, message_id

log = structlog.get_logger("flix.audit")

Detail = str | int | float | bool | None

# The payload keys that may identify a person; nothing else in a record may.
PERSONAL_FIELDS = ("actor_account_id", "account_id", "profile_id", "email", "ip")


class AuditAction(StrEnum):
    """Every action the trail records; the subject of its event is ``audit.<value>``."""

    SIGNED_IN = "signed-in"
    SIGN_IN_FAILED = "sign-in-failed"
    ROLE_GRANTED = "role-granted"
    VIDEO_CREATED = "video-created"
    VIDEO_UPDATED = "video-updated"
    VIDEO_DELETED = "video-deleted"
    MEDIA_INGESTED = "media-ingested"
    EXPERIMENT_CREATED = "experiment-created"
    EXPERIMENT_UPDATED = "experiment-updated"
    EXPERIMENT_STARTED = "experiment-started"
    EXPERIMENT_STOPPED = "experiment-stopped"
    EXPERIMENT_NEW_PHASE = "experiment-new-phase"
    PROFILE_LOCKED = "profile-locked"
    PROFILE_UNLOCKED = "profile-unlocked"
    ACCOUNT_ERASED = "account-erased"
    PROFILE_ERASED = "profile-erased"


def record(
    action: AuditAction,
    *,
    actor_account_id: UUID | None = None,
    account_id: UUID | None = None,
    profile_id: UUID | None = None,
    email: str | None = None,
    ip: str | None = None,
    target: str | None = None,
    details: Mapping[str, Detail] | None = None,
    at: datetime | None = None,
) -> dict[str, object]:
    """The payload of one audit event; absent values are left out, not null."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    fields: dict[str, object | None] = {
        "action": action.value,
        "at": moment.isoformat(),
        "target": target,
        "details": dict(details) if details else None,
        "actor_account_id": None if actor_account_id is None else str(actor_account_id),
        "account_id": None if account_id is None else str(account_id),
        "profile_id": None if profile_id is None else str(profile_id),
        "email": email,
        "ip": ip,
    }
    return {key: value for key, value in fields.items() if value is not None}


async def audit(
    events: EventLog,
    action: AuditAction,
    *,
    actor_account_id: UUID | None = None,
    account_id: UUID | None = None,
    profile_id: UUID | None = None,
    email: str | None = None,
    ip: str | None = None,
    target: str | None = None,
    details: Mapping[str, Detail] | None = None,
    at: datetime | None = None,
) -> None:
    """Publish one audit record to ``AUDIT`` (or the outbox, when the broker is away)."""
    payload = record(
        action,
        actor_account_id=actor_account_id,
        account_id=account_id,
        profile_id=profile_id,
        email=email,
        ip=ip,
        target=target,
        details=details,
        at=at,
    )
    # Each occurrence is its own fact: a fresh id, kept across the publish's own retries.
    await events.publish(Stream.AUDIT, action.value, payload, message_id("audit", uuid4()))
    log.info("audited", action=action.value, target=target)
