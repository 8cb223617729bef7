"""Clear Key: sealed content keys, license requests and answers, the pssh box (the license
use case over the real database is tests/resolvers/playback/test_license.py)."""

from __future__ import annotations

import pytest

from core.errors import BadUserInput
from media.drm import (
    b64url,
    license_response,
    new_content_key,
    parse_license_request,
    parse_master_key,
    pssh_box,
    requested_key_ids,
    seal,
    unseal,
)

MASTER = bytes(range(32))


def test_sealed_keys_open_only_with_their_master_key_and_key_id() -> None:
    content = new_content_key()
    sealed = seal(MASTER, content)
    assert content.key not in sealed
    assert unseal(MASTER, content.kid, sealed) == content
    with pytest.raises(RuntimeError):
        unseal(bytes(32), content.kid, sealed)
    with pytest.raises(RuntimeError):  # moved to another key id
        unseal(MASTER, bytes(16), sealed)


def test_master_key_formats() -> None:
    assert parse_master_key(MASTER.hex()) == MASTER
    assert parse_master_key(b64url(MASTER)) == MASTER
    with pytest.raises(ValueError, match="32 bytes"):
        parse_master_key("abcd")


def test_license_request_parsing() -> None:
    assert parse_license_request(b'{"kids":["AAAA"],"type":"temporary"}') == ["AAAA"]
    for body in (b"", b"[]", b'{"kids": []}', b'{"kids": [1]}', b"{"):
        with pytest.raises(BadUserInput):
            parse_license_request(body)


def test_pssh_box_lists_the_key_id() -> None:
    kid = bytes(range(16))
    box = pssh_box([kid])
    assert len(box) == int.from_bytes(box[:4], "big") == 52
    assert box[4:8] == b"pssh" and box.endswith(kid + bytes(4))


def test_requested_key_ids_are_decoded() -> None:
    kid = bytes(range(16))
    assert requested_key_ids([b64url(kid), "AAAA"]) == {kid, bytes(3)}
    with pytest.raises(BadUserInput):
        requested_key_ids(["not base64!"])


def test_license_response_shape() -> None:
    content = new_content_key()
    assert license_response([content]) == {
        "keys": [{"kty": "oct", "k": b64url(content.key), "kid": b64url(content.kid)}],
        "type": "temporary",
    }
