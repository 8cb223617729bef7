"""Every knob Flix reads, from the environment (prefix ``FLIX_``) or a ``.env`` file.

A ``FLIX_`` variable that names no setting is an error, not a silent default."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from auth.rate_policies import QUERY_COST_PER_MINUTE, SEED_POLICIES, Category, Policy
from auth.sessions import SESSION_CACHE_SECONDS
from auth.viewer import VIEWER_CACHE_SECONDS
from core.retention import RETENTION, Data
from datasources.objects import S3Config
from datasources.stores import StoreConfig
from server.homepage_bodies import BODY_SECONDS

PREFIX = "FLIX_"
_TIME_OF_DAY = r"^(off|([01][0-9]|2[0-3]):[0-5][0-9])$"
# Variables under these prefixes belong to the test suite (server/supervisor.py,
# tests/conftest.py), the e2e tests and the benches, never to the app: Settings lets them be.
# Any other FLIX_ variable must name a setting below, so that a typo fails loudly instead of
# leaving the default in force.
NOT_SETTINGS_PREFIXES = ("FLIX_TEST_", "FLIX_E2E_", "FLIX_BENCH_")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The sources are built per instance (after `_env_file=`), so this sees what is read.
        _reject_unknown_variables(settings_cls, env_settings, dotenv_settings)
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    # Stores. Left empty, `flix serve` starts embedded servers and fills these in.
    database_url: str | None = None
    redis_url: str | None = None
    nats_url: str | None = None
    data_dir: Path = Path(".flix")
    viewing_store: Literal["postgres", "cassandra"] = "postgres"
    cassandra_hosts: str = ""  # comma-separated; needed when viewing_store is cassandra
    cassandra_keyspace: str = "flix"
    # Prefix for stream names and subjects: separate event logs on one broker.
    events_prefix: str = ""
    # The event log's broker: NATS JetStream (nats_url) or Kafka (kafka_bootstrap).
    event_log: Literal["nats", "kafka"] = "nats"
    kafka_bootstrap: str = ""  # host:port[,host:port]
    # The object store (archives, backups, media): S3, MinIO or `rclone serve s3`. Unset
    # bucket, no object store (`flix serve`'s embedded default starts one and sets these).
    s3_endpoint: str = ""  # e.g. http://127.0.0.1:9000; "" is AWS S3 in s3_region
    s3_bucket: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_region: str = "us-east-1"
    # Regions (`flix regions up`, docs/regions.md): this instance's region, and the streaming
    # replica its catalog reads go to (writes always go to database_url, the primary).
    region: str = ""
    catalog_database_url: str | None = None

    # Media: where published assets live, the keys that protect them, and an optional CDN.
    media_root: Path | None = None  # default: <data_dir>/media
    media_signing_key: str | None = None  # HMAC key of signed media URLs
    media_master_key: str | None = None  # 32 bytes (hex or base64) sealing Clear Key keys
    media_base_url: str = ""  # e.g. https://cdn.example.com; "" serves media from here
    media_url_ttl_seconds: int = 6 * 3600
    # Origins (comma-separated, e.g. https://app.example.com) whose pages may call the Clear
    # Key license endpoint with the session cookie. Any other origin gets CORS without
    # credentials: a bearer token still works from there, a cookie never does.
    drm_license_origins: str = ""

    # Run the background jobs (server/worker.py) inside the web app: for the in-process test
    # app only; a deployment runs them in `flix worker` (which `flix serve` starts).
    inline_worker: bool = False
    # When `flix worker` runs each nightly job (lifecycle/jobs.py), "HH:MM" UTC; "off" never
    # (then run it by hand: `flix jobs run NAME`). Once a day across all workers.
    retention_at: str = Field(default="02:00", pattern=_TIME_OF_DAY)
    archive_at: str = Field(default="02:30", pattern=_TIME_OF_DAY)
    backup_at: str = Field(default="03:30", pattern=_TIME_OF_DAY)
    backup_verify_at: str = Field(default="04:30", pattern=_TIME_OF_DAY)

    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False
    # GraphiQL at GET /graphql for a browser (server/graphiql_page.py); off, that GET is a 404.
    graphiql: bool = True
    # Federated mode (`flix serve --federated` sets it): /graphql forwards to the Hive Gateway
    # at this URL (server/gateway_proxy.py) instead of running the merged schema here.
    gateway_url: str | None = None

    # GraphQL limits: a public endpoint must bound the work one document can ask for.
    max_query_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=15, ge=1)
    max_tokens: int = Field(default=2000, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    # Query cost (schema/cost.py): a document costing more is refused before execution.
    max_query_cost: int = Field(default=5000, ge=1)
    # An operation still running after this is cancelled and answers TIMEOUT.
    operation_deadline_seconds: float = Field(default=10.0, gt=0)
    # Persisted queries (server/persisted_queries.py): "apq" (clients send hashes and register
    # documents), "allowlist" (only documents from `flix persisted register` run) or "off".
    persisted_queries: Literal["apq", "allowlist", "off"] = "apq"
    # How long shared caches (a CDN) may keep a signed-out GET answer.
    persisted_query_public_max_age_seconds: int = Field(default=60, ge=0)
    # PostgreSQL and Redis connects, statements and commands taking longer fail, so a stalled
    # store answers UNAVAILABLE within about this long (datasources/stores.py).
    store_timeout_seconds: float = Field(default=2.0, gt=0)

    # Rate limits (auth/rate_policies.py): the seed's table per account (per IP signed out)
    # and the query-cost points each may spend a minute. The scale multiplies every quota
    # but sign-in's (login_attempts per login_window_seconds): tests and benches raise it.
    query_cost_per_minute: int = Field(default=QUERY_COST_PER_MINUTE, ge=1)
    rate_limit_scale: float = Field(default=1.0, gt=0)

    # GET /metrics: when set, only to `Authorization: Bearer <metrics_token>` (from anywhere:
    # behind a proxy every client is loopback); unset, only to loopback clients.
    metrics_token: str | None = None

    # Sessions and sign-in throttling.
    # Sliding: every use renews it (core/retention.py's rule for sessions).
    session_ttl_seconds: int = int(RETENTION[Data.SESSIONS].hot.total_seconds())
    # How long a process reuses a session it read while the revocation feed is live
    # (auth/sessions.py); 0 reads it every time.
    session_cache_seconds: float = Field(default=SESSION_CACHE_SECONDS, ge=0, le=10)
    # How long a process reuses a viewer it resolved (auth/viewer.py); 0 reads it every time.
    viewer_cache_seconds: float = Field(default=VIEWER_CACHE_SECONDS, ge=0, le=60)
    # How long a worker answers a homepage-only document from its finished body
    # (server/homepage_bodies.py); 0 renders every one.
    homepage_body_seconds: float = Field(default=BODY_SECONDS, ge=0, le=300)
    login_attempts: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    # Registrations per client IP, and per email, in the window (docs/accounts_and_profiles.md).
    registration_attempts: int = 10
    registration_window_seconds: int = 3600

    def rate_policies(self) -> dict[Category, Policy]:
        """The seed's table, scaled, with sign-in's numbers from its own two settings."""
        policies = {c: p.scaled(self.rate_limit_scale) for c, p in SEED_POLICIES.items()}
        attempts, window = self.login_attempts, self.login_window_seconds
        policies[Category.AUTH] = Policy("auth", attempts, window, burst=attempts)
        return policies

    @property
    def scaled_query_cost_per_minute(self) -> int:
        return max(1, round(self.query_cost_per_minute * self.rate_limit_scale))

    @property
    def cassandra_host_list(self) -> tuple[str, ...]:
        """``cassandra_hosts`` split: ``host`` or ``host:port`` entries."""
        return tuple(h.strip() for h in self.cassandra_hosts.split(",") if h.strip())

    @property
    def drm_license_origin_set(self) -> frozenset[str]:
        """``drm_license_origins`` split, without trailing slashes (an Origin header has none)."""
        return frozenset(
            o.strip().rstrip("/") for o in self.drm_license_origins.split(",") if o.strip()
        )

    @property
    def media_folder(self) -> Path:
        return self.media_root or self.data_dir / "media"

    def store_config(self) -> StoreConfig:
        broker = "FLIX_KAFKA_BOOTSTRAP" if self.event_log == "kafka" else "FLIX_NATS_URL"
        broker_address = self.kafka_bootstrap if self.event_log == "kafka" else self.nats_url
        if not (self.database_url and self.redis_url and broker_address):
            raise RuntimeError(
                f"FLIX_DATABASE_URL, FLIX_REDIS_URL and {broker} must be set "
                "(`flix serve` starts embedded servers and sets them for you)."
            )
        return StoreConfig(
            database_url=self.database_url,
            redis_url=self.redis_url,
            nats_url=self.nats_url or "",
            viewing_store=self.viewing_store,
            cassandra_hosts=self.cassandra_host_list,
            cassandra_keyspace=self.cassandra_keyspace,
            events_prefix=self.events_prefix,
            event_log=self.event_log,
            kafka_bootstrap=self.kafka_bootstrap,
            timeout_seconds=self.store_timeout_seconds,
            pool_wait_seconds=self.operation_deadline_seconds,
            s3=self.s3_config(),
            catalog_database_url=self.catalog_database_url,
        )

    def s3_config(self) -> S3Config | None:
        """The object store's configuration, or None when no bucket is set."""
        if not self.s3_bucket:
            return None
        if not (self.s3_access_key_id and self.s3_secret_access_key):
            raise RuntimeError(
                "FLIX_S3_BUCKET is set: FLIX_S3_ACCESS_KEY_ID and FLIX_S3_SECRET_ACCESS_KEY "
                "must be set too."
            )
        return S3Config(
            endpoint=self.s3_endpoint,
            bucket=self.s3_bucket,
            access_key_id=self.s3_access_key_id,
            secret_access_key=self.s3_secret_access_key,
            region=self.s3_region,
            connect_timeout_seconds=self.store_timeout_seconds,
        )

    @property
    def sync_database_url(self) -> str:
        """The same database for tools that speak plain libpq URLs (asyncpg.connect)."""
        if self.database_url is None:
            raise RuntimeError("FLIX_DATABASE_URL is not set")
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _reject_unknown_variables(
    settings_cls: type[BaseSettings], *sources: PydanticBaseSettingsSource
) -> None:
    """Fail on a FLIX_ variable (environment or .env file) that names no setting."""
    known = [PREFIX + name.upper() for name in settings_cls.model_fields]
    unknown: dict[str, str] = {}  # name -> where it was found
    for source in sources:
        if not isinstance(source, EnvSettingsSource):
            continue
        where = "the .env file" if isinstance(source, DotEnvSettingsSource) else "the environment"
        for key in source.env_vars:  # lower-cased: matching is case-insensitive
            name = key.upper()
            legal = name in known or name.startswith(NOT_SETTINGS_PREFIXES)
            if name.startswith(PREFIX) and not legal:
                unknown.setdefault(name, where)
    if not unknown:
        return
    problems = []
    for name, where in sorted(unknown.items()):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        problems.append(f"{name} (in {where}{hint})")
    allowed = ", ".join(f"{prefix}*" for prefix in NOT_SETTINGS_PREFIXES)
    raise SettingsError(
        f"unknown {PREFIX} variable{'s' if len(problems) > 1 else ''}: {', '.join(problems)}. "
        f"Every {PREFIX} variable must name a setting of server/settings.py "
        f"({allowed} are left to the tests and benches)."
    )
