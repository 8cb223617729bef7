"""Erasure (GDPR Art. 17): a person's data out of every store, in one call.

Where each store keeps a person, and how it goes:

- PostgreSQL: the account, its profiles and everything keyed by them (My List, thumbs,
  viewing progress, embeddings, roles, forced experiment variants, unrelayed outbox
  events) are deleted in one transaction; per-profile experiment rows, which the
  experiments' totals are read from, stay under fresh random ids (anonymous).
- The viewing store (PostgreSQL or Cassandra): its ``erase``.
- Redis: sessions (every one of the account is signed out), rate-limit windows,
  idempotency records, cached pages, "seen" markers: every key that names the person.
- The event log and its archives (append-only): their personal fields are sealed under the
  person's keys (datasources/events/sealing.py), deleted with the PostgreSQL rows. The
  events themselves stay, with what counts (video, type, time, country) in the clear.

Trending counters hold no person, so trending is unchanged; experiment totals are unchanged.
The erasure is recorded on AUDIT, naming no one. ``lifecycle.traces`` checks the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.erasure import postgres as postgres_erasure
from datasources.erasure import redis as redis_erasure
from datasources.erasure.person import Person, account_person, profile_person
from datasources.events import EventLog
from datasources.subject_keys import forget_cached_keys
from datasources.viewing.store import ViewingStore
from lifecycle.audit import AuditAction, audit

log = structlog.get_logger("flix.erasure")


@dataclass(frozen=True)
class Erased:
    """What an erasure removed, by store (counts only: it names no one)."""

    person: Person
    postgres: dict[str, int] = field(default_factory=dict)
    viewing_rows: int = 0
    redis_keys: int = 0

    def details(self) -> dict[str, int]:
        touched = {f"postgres.{table}": count for table, count in self.postgres.items()}
        return {
            "profiles": len(self.person.profile_ids),
            **touched,
            "viewing_rows": self.viewing_rows,
            "redis_keys": self.redis_keys,
        }


@dataclass(frozen=True)
class PersonalStores:
    """The stores an erasure reaches directly (the event log only to record it)."""

    engine: AsyncEngine
    redis: Redis
    viewing: ViewingStore
    events: EventLog


async def erase(stores: PersonalStores, person: Person) -> Erased:
    """Erase ``person`` everywhere. Safe to repeat: a second run finds nothing to remove."""
    needles = person.needles()
    # Sessions first, so nothing more is written in the person's name meanwhile.
    redis_keys = await redis_erasure.erase(stores.redis, needles)
    viewing_rows = await stores.viewing.erase(person.profile_ids)
    touched = await postgres_erasure.erase(stores.engine, person)
    forget_cached_keys()
    # Again: a consumer may have marked an event of theirs meanwhile (trending's "seen").
    redis_keys += await redis_erasure.erase(stores.redis, needles)
    erased = Erased(person, touched, viewing_rows, redis_keys)
    action = AuditAction.ACCOUNT_ERASED if person.whole_account else AuditAction.PROFILE_ERASED
    # Whose erasure it was is exactly what must not be kept: the record has counts only.
    await audit(stores.events, action, details=erased.details())
    log.info("erased", action=action.value, **erased.details())
    return erased


async def erase_account(stores: PersonalStores, account_id: UUID) -> Erased | None:
    """Erase an account with all its profiles; None if there is no such account."""
    person = await account_person(stores.engine, account_id)
    return None if person is None else await erase(stores, person)


async def erase_profile(
    stores: PersonalStores, profile_id: UUID, account_id: UUID | None = None
) -> Erased | None:
    """Erase one profile (its account stays); None if there is no such profile, or it is
    not ``account_id``'s when that is given."""
    person = await profile_person(stores.engine, profile_id)
    if person is None or (account_id is not None and person.account_id != account_id):
        return None
    return await erase(stores, person)
