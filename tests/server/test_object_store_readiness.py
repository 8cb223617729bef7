"""/readyz names the object store only where one is configured, and says when it is away."""

from __future__ import annotations

from collections.abc import Callable

from datasources.objects import S3ObjectStore
from server.processes import free_port
from tests.helpers.api import Api
from tests.helpers.objects import s3_settings, sync_bucket

__all__ = ["sync_bucket"]  # the fixture, used by name below


def test_readyz_reports_s3_when_configured(
    make_api: Callable[..., Api], sync_bucket: S3ObjectStore
) -> None:
    api = make_api(**s3_settings(sync_bucket.bucket))
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["stores"]["s3"] is True
    assert api.client.app.state.stores.objects.bucket == sync_bucket.bucket  # type: ignore[attr-defined]


def test_readyz_is_unavailable_while_s3_is_away(
    make_api: Callable[..., Api], sync_bucket: S3ObjectStore
) -> None:
    settings = s3_settings(sync_bucket.bucket)
    settings["s3_endpoint"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    api = make_api(**settings)
    ready = api.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["stores"]["s3"] is False


def test_no_s3_no_check(api: Api) -> None:
    assert "s3" not in api.client.get("/readyz").json()["stores"]
    assert api.client.app.state.stores.objects is None  # type: ignore[attr-defined]
