"""The object store the tests run on: the S3 server scripts/test starts (rclone, see
server/supervisor.py) or the one FLIX_TEST_S3_* names; a fresh bucket for each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from datasources.objects import ObjectStoreError, S3Config, S3ObjectStore
from server.s3_server import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY
from tests.helpers.aio import blocking

S3_ENDPOINT = os.environ.get("FLIX_TEST_S3_ENDPOINT", "")
# The supervisor's server uses fixed loopback credentials; another server names its own.
S3_ACCESS_KEY_ID = os.environ.get("FLIX_TEST_S3_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
S3_SECRET_ACCESS_KEY = os.environ.get("FLIX_TEST_S3_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)


def s3_config(bucket: str, **overrides: Any) -> S3Config:
    if not S3_ENDPOINT:
        pytest.skip("object store tests need FLIX_TEST_S3_ENDPOINT (scripts/test starts one)")
    fields: dict[str, Any] = {
        "endpoint": S3_ENDPOINT,
        "bucket": bucket,
        "access_key_id": S3_ACCESS_KEY_ID,
        "secret_access_key": S3_SECRET_ACCESS_KEY,
        "request_timeout_seconds": 30.0,
    }
    return S3Config(**{**fields, **overrides})


def s3_settings(bucket: str) -> dict[str, str]:
    """Overrides for tests/helpers/stores.py's settings_for: an app on this bucket."""
    config = s3_config(bucket)
    return {
        "s3_endpoint": config.endpoint,
        "s3_bucket": config.bucket,
        "s3_access_key_id": config.access_key_id,
        "s3_secret_access_key": config.secret_access_key,
    }


def new_bucket_name() -> str:
    # S3 bucket names: 3-63 characters of lower-case letters, digits and hyphens.
    return f"t-{os.getpid()}-{uuid.uuid4().hex[:12]}"


async def create_bucket(name: str | None = None) -> S3ObjectStore:
    store = S3ObjectStore(s3_config(name or new_bucket_name()))
    await store.create_bucket()
    return store


async def remove_bucket(store: S3ObjectStore) -> None:
    """Empty the bucket and delete it."""
    for info in await store.list():
        await store.delete(info.key)
    try:
        await store.delete_bucket()
    except ObjectStoreError as error:
        # rclone keeps the empty folder an aborted multipart upload was in, and calls the
        # bucket not empty for it: an empty folder left in the test data folder, no more.
        if "BucketNotEmpty" not in error.message:
            raise


@pytest.fixture
async def bucket() -> AsyncIterator[S3ObjectStore]:
    """A new, empty bucket for an async test, removed after it."""
    store = await create_bucket()
    yield store
    await remove_bucket(store)


@pytest.fixture
def sync_bucket() -> Iterator[S3ObjectStore]:
    """The same for a synchronous (HTTP) test: made and removed on a loop of its own."""
    store = blocking(create_bucket())
    yield store
    blocking(remove_bucket(store))
