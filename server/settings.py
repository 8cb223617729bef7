"""Every knob Flix reads, from the environment (prefix ``FLIX_``) or a ``.env`` file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLIX_", env_file=".env", extra="ignore")

    # Stores. Left empty, `flix serve` starts embedded servers and fills these in.
    database_url: str | None = None
    redis_url: str | None = None
    nats_url: str | None = None
    data_dir: Path = Path(".flix")

    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False

    # GraphQL limits: a public endpoint must bound the work one document can ask for.
    max_query_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=15, ge=1)
    max_tokens: int = Field(default=2000, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)

    # Sessions and sign-in throttling.
    session_ttl_seconds: int = 30 * 24 * 3600
    login_attempts: int = 5
    login_window_seconds: int = 300

    @property
    def sync_database_url(self) -> str:
        """The same database for tools that speak plain libpq URLs (asyncpg.connect)."""
        if self.database_url is None:
            raise RuntimeError("FLIX_DATABASE_URL is not set")
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
