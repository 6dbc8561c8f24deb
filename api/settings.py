"""The service's settings: one class, read from ``TOTALPLACE_*`` environment variables.

Embedded defaults run on a laptop with no server to install (a SQLite file,
an in-process cache, jobs on in-process threads). Setting
``TOTALPLACE_DATABASE_URL`` to a PostgreSQL URL and ``TOTALPLACE_REDIS_URL``
switches the same service to PostgreSQL, a Redis cache and RQ jobs.
``docs/api.md`` has the table of every setting; keep it in step with this class.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the API, the worker and the ``keys`` command read from the environment."""

    model_config = SettingsConfigDict(env_prefix="TOTALPLACE_", env_file=None, extra="ignore", frozen=True)

    # -- where things live ---------------------------------------------------
    database_url: str = Field("sqlite:///var/totalplace.db", description="SQLAlchemy URL; postgresql://... uses psycopg 3")
    redis_url: str | None = Field(None, description="redis://host:port/db; unset: in-process cache and in-process jobs")
    cache_prefix: str = Field("totalplace", description="first part of every Redis key (cache, locks)")
    queue_name: str = Field("totalplace", description="name of the RQ queue")

    # -- cache -----------------------------------------------------------------
    cache_ttl_seconds: int = Field(7 * 24 * 3600, ge=1, description="time to live of a cached result")
    memory_cache_entries: int = Field(256, ge=1, description="results kept by the in-process cache")

    # -- solving ---------------------------------------------------------------
    sync_max_cells: int = Field(20_000, ge=0, description="largest areas x interventions x years solved at once (x10 for a MIP)")
    sync_time_limit: float = Field(60.0, gt=0, description="solver time limit (s) of a synchronous solve")
    job_time_limit: float = Field(3600.0, gt=0, description="solver time limit (s) of a job; the job is stopped after it plus a grace")
    job_grace_seconds: float = Field(120.0, ge=0, description="time past job_time_limit before a job is stopped and failed")
    job_max_attempts: int = Field(2, ge=1, description="attempts of a job whose worker died before it is failed")
    job_heartbeat_seconds: float = Field(5.0, gt=0, description="how often a running job reports that it is alive")
    job_stale_seconds: float = Field(30.0, gt=0, description="a running job silent this long has lost its worker")
    reaper_interval_seconds: float = Field(15.0, gt=0, description="how often the API looks for lost jobs")
    embedded_job_threads: int = Field(2, ge=1, description="threads running jobs in embedded mode")

    # -- requests --------------------------------------------------------------
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="larger request bodies get 413")
    max_cells: int = Field(
        10_000_000,
        ge=1,
        description="largest areas x interventions x years accepted at all (stored or solved): "
        "bounds a solve's memory (about 1.3 GB at the default)",
    )
    db_timeout_seconds: float = Field(
        5.0, gt=0, description="longest wait to connect to the database or for a pooled connection; past it the request gets 503"
    )
    # Per API key, a token bucket: `rate_limit_burst` requests at once, refilled at `rate_limit_per_second`.
    # Generous by default: it stops a runaway client, not a busy one (a finance system's batch, the test suites).
    rate_limit_per_second: float = Field(20.0, ge=0, description="requests per second per API key, sustained; 0 turns the limit off")
    rate_limit_burst: int = Field(200, ge=1, description="requests per API key at once, before the sustained rate applies")
    # A key found valid is trusted for a while (no database round trip), and revocations reach every process at once:
    # `keys revoke` / `keys rotate` announce them on Redis (api/edge/revocation.py). Unheard (no Redis, or Redis down),
    # a process trusts a key only key_recheck_seconds after it checked the store.
    key_cache_seconds: float = Field(
        60.0,
        ge=0,
        le=300,
        description="how long an API process trusts a key it found valid while it "
        "hears revocations on Redis; 0: every request asks the store",
    )
    key_recheck_seconds: float = Field(
        1.0,
        gt=0,
        le=60,
        description="how long a key found valid is trusted by a process that cannot "
        "hear revocations (no Redis, Redis down): a revoked key is refused "
        "within this time everywhere",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed to call from a browser, comma-separated; unset: CORS closed"
    )
    idempotency_ttl_seconds: int = Field(24 * 3600, ge=60, description="how long an Idempotency-Key is remembered")
    create_tables: bool = Field(
        True,
        description="upgrade the schema to the newest revision at start-up "
        "(Alembic; API, workers and `keys`); off: run `totalplace db upgrade` yourself",
    )
    log_level: str = Field("info", description="log level of the service")

    @field_validator("database_url")
    @classmethod
    def _psycopg3(cls, url: str) -> str:
        """``postgresql://`` would pick psycopg2 in SQLAlchemy; this project ships psycopg 3."""
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+psycopg://" + url[len(plain) :]
        return url

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_exact(cls, origins: list[str]) -> list[str]:
        """An origin is ``scheme://host[:port]``; ``*`` would open the service to every site, so it is refused."""
        for origin in origins:
            if origin == "*" or "://" not in origin or origin.endswith("/"):
                raise ValueError(f"{origin!r} is not an origin: give scheme://host[:port] of each site, comma-separated (no '*')")
        return origins

    @field_validator("redis_url")
    @classmethod
    def _empty_is_none(cls, url: str | None) -> str | None:
        return url or None

    @property
    def uses_rq(self) -> bool:
        """Jobs go to RQ exactly when Redis is configured."""
        return self.redis_url is not None

    @property
    def job_hard_limit(self) -> float:
        """Seconds after which a running job is stopped whatever the solver does."""
        return self.job_time_limit + self.job_grace_seconds


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()  # type: ignore[call-arg]  # every field has a default; mypy cannot see pydantic's
