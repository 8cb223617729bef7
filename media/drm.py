"""Clear Key DRM: content keys, sealing them under the master key, and the license.

Each protected title gets a random 128-bit content key and key id. Segments are encrypted
with it (CENC, AES-CTR) at encode time; the key itself is stored only sealed with
AES-256-GCM under the master key from settings, bound to its key id so that a sealed key
cannot be moved to another title's row. The license is the W3C Clear Key JSON format that
browsers' ``org.w3.clearkey`` key system speaks.

All of it is pure: the license use case (``resolvers/playback/license.py``) checks who may
receive a key (signed in, a profile selected, maturity allowed), loads the sealed key and
answers with :func:`license_response`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import BadUserInput

KEY_SYSTEM = "org.w3.clearkey"
# DASH-IF's identifier for Clear Key (the MPD's), and the W3C "common" PSSH system Clear Key
# reads (the init segments').
CLEARKEY_SCHEME = "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e"
COMMON_SYSTEM_ID = UUID("1077efec-c0b2-4d02-ace3-3c1e52e2fb4b")
MASTER_KEY_BYTES = 32
_AAD = b"flix clearkey content key "


@dataclass(frozen=True, slots=True)
class ContentKey:
    kid: bytes
    key: bytes

    @property
    def kid_uuid(self) -> UUID:
        return UUID(bytes=self.kid)


def new_content_key() -> ContentKey:
    return ContentKey(kid=os.urandom(16), key=os.urandom(16))


def parse_master_key(text: str) -> bytes:
    """The 32-byte master key from settings: 64 hex digits or base64 (either alphabet)."""
    value = text.strip()
    try:
        key = bytes.fromhex(value) if len(value) == 2 * MASTER_KEY_BYTES else b64decode(value)
    except (ValueError, binascii.Error):
        raise ValueError("the media master key must be 32 bytes, as hex or base64") from None
    if len(key) != MASTER_KEY_BYTES:
        raise ValueError(f"the media master key must be 32 bytes, not {len(key)}")
    return key


def seal(master_key: bytes, content: ContentKey) -> bytes:
    """The content key encrypted under ``master_key``: nonce followed by ciphertext and tag."""
    nonce = os.urandom(12)
    return nonce + AESGCM(master_key).encrypt(nonce, content.key, _AAD + content.kid)


def unseal(master_key: bytes, kid: bytes, sealed: bytes) -> ContentKey:
    try:
        key = AESGCM(master_key).decrypt(sealed[:12], sealed[12:], _AAD + kid)
    except InvalidTag:
        raise RuntimeError("a content key does not open with the master key") from None
    return ContentKey(kid=kid, key=key)


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JSON Web Keys and the Clear Key format write bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Base64 in either alphabet, padded or not."""
    value = text.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)


# A browser asks for a handful of 16-byte key ids: a few hundred bytes. Bounding the body
# bounds the parser's work, whatever the JSON inside.
MAX_LICENSE_REQUEST_BYTES = 16 * 1024


def parse_license_request(body: bytes | str) -> list[str]:
    """The key ids (base64url) a browser's Clear Key license request asks for."""
    if len(body) > MAX_LICENSE_REQUEST_BYTES:
        raise BadUserInput(
            f"a Clear Key license request is at most {MAX_LICENSE_REQUEST_BYTES} bytes"
        )
    try:
        request = json.loads(body)
        kids = request["kids"]
    # RecursionError: JSON nested deeply enough to exhaust the parser's stack.
    except (ValueError, KeyError, TypeError, RecursionError):
        raise BadUserInput('a Clear Key license request is JSON: {"kids": [...]}') from None
    if not isinstance(kids, list) or not kids or not all(isinstance(k, str) for k in kids):
        raise BadUserInput("kids must be a non-empty list of base64url key ids")
    return kids


def license_response(keys: Sequence[ContentKey]) -> dict[str, Any]:
    return {
        "keys": [{"kty": "oct", "k": b64url(key.key), "kid": b64url(key.kid)} for key in keys],
        "type": "temporary",
    }


def requested_key_ids(kids: Sequence[str]) -> set[bytes]:
    """The key ids a license request names, decoded from base64url."""
    requested = set()
    for kid in kids:
        try:
            requested.add(b64decode(kid))
        except (ValueError, binascii.Error):
            raise BadUserInput(f"{kid!r} is not a base64url key id") from None
    return requested


def pssh_box(kids: Sequence[bytes]) -> bytes:
    """A version-1 ``pssh`` box of the W3C common system, listing ``kids``.

    ffmpeg writes no ``pssh``; added to every init segment (media/encode.py), it is the
    ``cenc`` init data of the browser's "encrypted" event, from which it asks for a license.
    """
    payload = struct.pack(">I", 1 << 24)  # version 1, flags 0
    payload += COMMON_SYSTEM_ID.bytes + struct.pack(">I", len(kids)) + b"".join(kids)
    payload += struct.pack(">I", 0)  # no system-specific data
    return struct.pack(">I", 8 + len(payload)) + b"pssh" + payload


def kid_uuid_text(kid: bytes) -> str:
    """A key id as ``cenc:default_KID`` and HLS write it: a UUID with dashes."""
    return str(UUID(bytes=kid))
