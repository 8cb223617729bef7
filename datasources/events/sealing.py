"""Sealing the personal fields of events, so that erasing a person is deleting a key.

The event log and its archives are append-only: a person's events cannot be rewritten
there. So before an event leaves for the broker, the fields that identify or describe a
person (``PERSONAL_FIELDS``, the one table of them) are taken out of its payload and put,
encrypted under that person's key (``datasources.subject_keys``, AES-256-GCM), in one
``sealed`` list of envelopes; the rest (video ids, event types, times, countries) stays in
the clear, for counts that must survive an erasure. Consumers get the fields back while the
key exists; once erasure has deleted it, they are simply absent.

An envelope is ``{"key_id": <uuid>, "data": <base64: 12-byte nonce + ciphertext>}``; the
plaintext is a JSON object of the fields, bound to the key id (associated data). An event
naming two people (an audit record of a staff member acting on an account) gets one
envelope each: every identity field is sealed under its own person's key, the other
personal details under the event's main person's (``SUBJECT_ORDER``).

The message id goes to the broker as an HMAC under the main person's key: stable while the
key exists (a retried publish is still recognised as the same), and no longer computable
from a profile id afterwards (ids are hashes of payload values, profile id included).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Mapping
from enum import Enum
from typing import Any
from uuid import UUID

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources import subject_keys
from datasources.subject_keys import SubjectKey

log = structlog.get_logger("flix.events")

SEALED = "sealed"
NONCE_BYTES = 12


class Personal(Enum):
    IDENTITY = "identity"  # the value is a person's id (profile or account): its own subject
    DETAIL = "detail"  # something about the event's main person


# Every payload key that holds personal data, whatever the stream. A publisher adding a
# personal field adds its key here; anything else is published in the clear.
PERSONAL_FIELDS: dict[str, Personal] = {
    "profile_id": Personal.IDENTITY,
    "account_id": Personal.IDENTITY,
    "target_profile_id": Personal.IDENTITY,
    "target_account_id": Personal.IDENTITY,
    "actor_account_id": Personal.IDENTITY,
    "email": Personal.DETAIL,
    "ip": Personal.DETAIL,
    "client_ip": Personal.DETAIL,
    "user_agent": Personal.DETAIL,
    "device_id": Personal.DETAIL,
    "playback_session_id": Personal.DETAIL,
    "message": Personal.DETAIL,  # free text from a client: may name anyone
}

# Whose event it is, first match: the details are sealed under this person's key.
SUBJECT_ORDER = (
    "profile_id",
    "target_profile_id",
    "account_id",
    "target_account_id",
    "actor_account_id",
)


def _as_uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _envelope(key: SubjectKey, fields: Mapping[str, Any]) -> dict[str, str]:
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(fields, separators=(",", ":")).encode()
    ciphertext = AESGCM(key.key).encrypt(nonce, plaintext, key.key_id.bytes)
    return {"key_id": str(key.key_id), "data": base64.b64encode(nonce + ciphertext).decode()}


def _opened(key: SubjectKey, data: str) -> dict[str, Any] | None:
    try:
        raw = base64.b64decode(data)
        plaintext = AESGCM(key.key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key.key_id.bytes)
    except (InvalidTag, ValueError):
        log.warning("sealed envelope does not open", key_id=str(key.key_id))
        return None
    fields: dict[str, Any] = json.loads(plaintext)
    return fields


def envelope_key_ids(payload: Mapping[str, Any]) -> list[UUID]:
    """The key ids a sealed payload's envelopes name (none for a payload without any)."""
    found = []
    for envelope in payload.get(SEALED) or []:
        if isinstance(envelope, Mapping) and (key_id := _as_uuid(envelope.get("key_id"))):
            found.append(key_id)
    return found


def partition_key(payload: Mapping[str, Any]) -> str | None:
    """What keeps one person's events together on a partitioned log, naming no one: the
    main person's key id."""
    ids = envelope_key_ids(payload)
    return str(ids[0]) if ids else None


class PayloadSealer:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def seal(self, payload: Mapping[str, Any], msg_id: str) -> tuple[dict[str, Any], str]:
        """The payload as the broker may hold it, and the message id to send it under.

        Personal fields without a person to key them to (an unknown or erased profile, or
        no identity in the event at all) are dropped: nothing personal leaves unsealed.
        """
        personal = {
            name: value
            for name, value in payload.items()
            if name in PERSONAL_FIELDS and value is not None
        }
        if not personal:
            return dict(payload), msg_id
        clear = {name: value for name, value in payload.items() if name not in personal}
        main = next((personal[name] for name in SUBJECT_ORDER if name in personal), None)
        main_id = _as_uuid(main) if main is not None else None
        by_subject: dict[UUID, dict[str, Any]] = {}
        for name, value in personal.items():
            subject = _as_uuid(value) if PERSONAL_FIELDS[name] is Personal.IDENTITY else None
            subject = subject or main_id
            if subject is not None:
                by_subject.setdefault(subject, {})[name] = value
        envelopes = []
        main_key: SubjectKey | None = None
        # The main person's envelope first: the one ``partition_key`` names.
        ordered = sorted(by_subject.items(), key=lambda item: item[0] != main_id)
        for subject, fields in ordered:
            key = await subject_keys.key_for(self._engine, subject)
            if key is None:
                continue  # no such person (any more): their fields go nowhere
            envelopes.append(_envelope(key, fields))
            if subject == main_id:
                main_key = key
        if envelopes:
            clear[SEALED] = envelopes
        if main_key is not None:
            sealed_id = hmac.new(main_key.key, msg_id.encode(), hashlib.sha256).hexdigest()[:40]
        else:
            # Nobody to key it to (a profile erased while its request was in flight): still
            # stable, so its retries are recognised, though not keyed.
            sealed_id = hashlib.sha256(f"unkeyed|{msg_id}".encode()).hexdigest()[:40]
        return clear, sealed_id

    async def open(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The payload with its sealed fields back where their keys still exist; the fields
        of an erased person are absent."""
        envelopes = payload.get(SEALED)
        if not envelopes:
            return dict(payload)
        opened = {name: value for name, value in payload.items() if name != SEALED}
        keys = await subject_keys.keys_by_id(self._engine, envelope_key_ids(payload))
        for envelope in envelopes:
            key = keys.get(_as_uuid(envelope.get("key_id")) or uuid.UUID(int=0))
            if key is not None and (fields := _opened(key, str(envelope.get("data", "")))):
                opened.update(fields)
        return opened
