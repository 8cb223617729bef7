"""Settings: FLIX_ variables that name no setting fail loudly; the tests' own prefixes pass."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pydantic_settings import SettingsError

from server.settings import NOT_SETTINGS_PREFIXES, PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_flix_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FLIX_ variable of the test run itself, and no .env file of the checkout."""
    for key in list(os.environ):
        if key.upper().startswith(PREFIX):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_known_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIX_PORT", "9001")
    monkeypatch.setenv("FLIX_VIEWING_STORE", "cassandra")
    settings = Settings(_env_file=None)
    assert (settings.port, settings.viewing_store) == (9001, "cassandra")


def test_an_unknown_variable_fails_naming_it_and_the_closest_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLIX_DATABSE_URL", "postgresql+asyncpg://x/flix")
    with pytest.raises(SettingsError) as raised:
        Settings(_env_file=None)
    message = str(raised.value)
    assert "FLIX_DATABSE_URL (in the environment; did you mean FLIX_DATABASE_URL?)" in message
    assert "server/settings.py" in message


def test_every_unknown_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIX_S3_BUCKETS", "flix-media")
    monkeypatch.setenv("FLIX_QQQ", "1")
    with pytest.raises(SettingsError, match=r"FLIX_QQQ \(in the environment\)") as raised:
        Settings(_env_file=None)
    assert "FLIX_S3_BUCKETS" in str(raised.value)


def test_s3_is_configured_by_its_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).s3_config() is None  # no bucket, no object store
    monkeypatch.setenv("FLIX_S3_BUCKET", "flix-media")
    with pytest.raises(RuntimeError, match="FLIX_S3_ACCESS_KEY_ID"):
        Settings(_env_file=None).s3_config()
    monkeypatch.setenv("FLIX_S3_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("FLIX_S3_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("FLIX_S3_ENDPOINT", "http://127.0.0.1:9000")
    config = Settings(_env_file=None).s3_config()
    assert config is not None
    assert (config.endpoint, config.bucket, config.region) == (
        "http://127.0.0.1:9000",
        "flix-media",
        "us-east-1",
    )


def test_matching_ignores_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("flix_port", "9002")
    assert Settings(_env_file=None).port == 9002
    monkeypatch.setenv("flix_prot", "9003")
    with pytest.raises(SettingsError, match=r"FLIX_PROT .*did you mean FLIX_PORT"):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    "name",
    ["FLIX_TEST_POSTGRES", "FLIX_TEST_DATA_DIR", "FLIX_E2E_CHROMIUM", "FLIX_BENCH_REDIS_URL"],
)
def test_the_test_and_bench_prefixes_are_not_settings(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    assert name.startswith(NOT_SETTINGS_PREFIXES)
    monkeypatch.setenv(name, "anything")
    Settings(_env_file=None)


def test_other_variables_are_none_of_our_business(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIXIR", "1")
    monkeypatch.setenv("NOT_FLIX_PORT", "1")
    assert Settings(_env_file=None).port == 8000


def test_the_env_file_is_read_and_checked_too(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("FLIX_PORT=9004\nOTHER_TOOL_SETTING=1\nFLIX_TEST_REDIS_URL=redis://x\n")
    assert Settings().port == 9004  # the default env_file, .env in the working directory
    assert Settings(_env_file=None).port == 8000
    env_file.write_text("FLIX_PORT=9004\nFLIX_MAX_DEPTH=3\n")
    with pytest.raises(SettingsError, match=r"FLIX_MAX_DEPTH \(in the \.env file; did you mean"):
        Settings()


def test_the_documents_advertise_only_settings() -> None:
    """Every FLIX_ name the README, docs, benches' README and docker-compose mention is a
    setting or under one of the prefixes left to the tests and benches."""
    known = {PREFIX + name.upper() for name in Settings.model_fields}
    documents = [ROOT / "README.md", ROOT / "docker-compose.yml"]
    documents += sorted(ROOT.glob("docs/**/*.md")) + sorted(ROOT.glob("bench/**/*.md"))
    strays = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in documents
        for name in re.findall(r"FLIX_[A-Z0-9_]*[A-Z0-9]", path.read_text())
        if name not in known and not (name + "_").startswith(NOT_SETTINGS_PREFIXES)
    }
    assert not strays
