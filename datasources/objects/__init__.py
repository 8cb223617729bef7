"""The object store (S3): archives, backups and, when configured, published media."""

from datasources.objects.s3 import InvalidKey, S3Config, S3ObjectStore, sha256_of_file
from datasources.objects.store import (
    SHA256_METADATA,
    ObjectInfo,
    ObjectMissing,
    ObjectStore,
    ObjectStoreError,
    ObjectStoreUnavailable,
    ObjectStream,
    Progress,
)

__all__ = [
    "SHA256_METADATA",
    "InvalidKey",
    "ObjectInfo",
    "ObjectMissing",
    "ObjectStore",
    "ObjectStoreError",
    "ObjectStoreUnavailable",
    "ObjectStream",
    "Progress",
    "S3Config",
    "S3ObjectStore",
    "sha256_of_file",
]
