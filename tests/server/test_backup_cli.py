"""`flix backup`, `flix backup verify` and `flix restore` as a person runs them: the exit
codes and what they print (lifecycle/backups.py is tested in tests/lifecycle/)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from datasources.objects import S3ObjectStore
from server.cli import app
from tests.helpers.aio import blocking
from tests.helpers.objects import s3_settings, sync_bucket

__all__ = ["sync_bucket"]  # the fixture, used by name below

runner = CliRunner()


@pytest.fixture
def configured(
    catalog: dict[str, int],
    clean_database: str,
    sync_bucket: S3ObjectStore,
    monkeypatch: pytest.MonkeyPatch,
) -> S3ObjectStore:
    monkeypatch.setenv("FLIX_DATABASE_URL", clean_database)
    for name, value in s3_settings(sync_bucket.bucket).items():
        monkeypatch.setenv(f"FLIX_{name.upper()}", value)
    return sync_bucket


def test_backup_verify_and_a_refused_restore(configured: S3ObjectStore) -> None:
    backed_up = runner.invoke(app, ["backup"])
    assert backed_up.exit_code == 0, backed_up.output
    assert "backed up" in backed_up.output

    verified = runner.invoke(app, ["backup", "verify", "--json"])
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout[verified.stdout.index("{") :])
    assert report["passed"] is True
    assert {check["name"] for check in report["checks"]} >= {"checksum", "row counts"}

    listed = runner.invoke(app, ["backup", "list"])
    stamp = report["backup"].removeprefix("backups/postgres/").removesuffix(".dump")
    assert listed.exit_code == 0 and stamp in listed.output

    refused = runner.invoke(app, ["restore", "latest"])
    assert refused.exit_code == 1
    assert "not empty" in refused.output


def test_verify_exits_1_on_a_tampered_backup(configured: S3ObjectStore) -> None:
    assert runner.invoke(app, ["backup"]).exit_code == 0
    dump = next(
        info.key
        for info in blocking(configured.list("backups/postgres"))
        if info.key.endswith(".dump")
    )
    blocking(configured.put(dump, b"PGDMP but not really"))

    verified = runner.invoke(app, ["backup", "verify"])

    assert verified.exit_code == 1
    assert "FAIL" in verified.output and "checksum" in verified.output


def test_without_an_object_store_backup_says_what_to_set(
    clean_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIX_DATABASE_URL", clean_database)
    done = runner.invoke(app, ["backup"])
    assert done.exit_code == 2
    assert "FLIX_S3_BUCKET" in done.output
