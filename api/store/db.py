"""The store: SQLAlchemy 2 models and the engine (SQLite embedded, PostgreSQL in production).

Every row that a client can reach carries ``tenant_id``, and every query the
routes make filters on it (``api/store/crud.py``). Scenarios are immutable: a
``before_update`` hook refuses any change to a stored one. JSON documents (a
scenario's canonical form, a result) are kept as text, so the canonical text
that was hashed is the text that is stored and served.
"""

from __future__ import annotations

import math
import os
import threading
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from api.store.migrations import Upgrade


class JobStatus(StrEnum):
    """Where a job is in its life (``api/jobs/states.py`` draws it); stored and served as these very strings."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: the states a job never leaves
JOB_DONE = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELLED})


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A random, prefixed identifier: ``sc_3f2a...`` says what it names."""
    return f"{prefix}_{uuid.uuid4().hex}"


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite keeps no zone), always returned aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store: use api.store.db.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    """A partnership board or a finance system: the owner of scenarios, jobs and results."""

    __tablename__ = "tenants"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """An API key: only its public id and the SHA-256 of the whole key are kept."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the public part of the key
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ScenarioRow(Base):
    """A stored scenario version (immutable); ``parent_id`` records what it was derived from."""

    __tablename__ = "scenarios"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    scenario_hash: Mapped[str] = mapped_column(String(64), index=True)
    canonical_json: Mapped[str] = mapped_column(Text)  # canonical form with the solver block
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("scenarios.id"), nullable=True)
    cells: Mapped[int] = mapped_column(Integer)  # areas x interventions x years
    is_mip: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_scenarios_tenant_created", "tenant_id", "created_at"),)


@event.listens_for(ScenarioRow, "before_update")
def _scenarios_are_immutable(mapper: Any, connection: Any, target: ScenarioRow) -> None:
    raise RuntimeError(f"scenario {target.id} is stored and immutable: store a new version with parent_id instead")


class JobRow(Base):
    """A solve run in the background; its state lives here, so it survives restarts."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"))
    scenario_hash: Mapped[str] = mapped_column(String(64))
    solver_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    rq_job_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # analyses (POST /v1/scenarios/{id}/analyses/{kind}); a plain solve has kind "solve" and none of the rest
    kind: Mapped[str] = mapped_column(String(16), default="solve")
    options_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    tasks_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    report_json: Mapped[str | None] = mapped_column(Text, nullable=True)


class ResultRow(Base):
    """A tenant's result for one scenario hash and solver options (the cache is only an accelerator)."""

    __tablename__ = "results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    scenario_hash: Mapped[str] = mapped_column(String(64))
    solver_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    result_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "scenario_hash", "solver_key", name="uq_results_tenant_hash_solver"),)


class IdempotencyRecord(Base):
    """The first response to a POST with an ``Idempotency-Key``, replayed to its retries."""

    __tablename__ = "idempotency_records"
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None while the first is in flight
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    headers_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Database:
    """An engine and a session factory; re-created after ``fork()`` (RQ work horses fork)."""

    def __init__(self, url: str, timeout: float = 5.0):
        self.url = url
        self.timeout = timeout  # connecting, or waiting for a pooled connection: past it, an error (503), not a hang
        self._lock = threading.Lock()
        self._pid = -1
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None or self._pid != os.getpid():
            with self._lock:
                if self._engine is None or self._pid != os.getpid():
                    if self._engine is not None:  # inherited over fork: leave the parent's connections alone
                        self._engine.dispose(close=False)
                    self._engine = _make_engine(self.url, self.timeout)
                    self._sessions = sessionmaker(self._engine, expire_on_commit=False)
                    self._pid = os.getpid()
        return self._engine

    def session(self) -> Session:
        _ = self.engine
        assert self._sessions is not None
        return self._sessions()

    def upgrade_schema(self) -> Upgrade:
        """Bring the schema to the newest revision (Alembic's ``upgrade head``, scripts in ``api/store/migrations``).

        Run at start-up by the API and the workers (``TOTALPLACE_CREATE_TABLES``):
        on PostgreSQL under an advisory lock, as they start together; a database
        made before migrations existed is first stamped with the revision its
        tables match. Alembic is imported here, so a process that never
        upgrades does not load it.
        """
        from api.store.migrations import upgrade

        return upgrade(self.engine)

    def create_tables(self) -> None:
        """The former name of ``upgrade_schema``, kept for callers that set up a store (tests, benchmarks)."""
        self.upgrade_schema()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        if self._engine is not None and self._pid == os.getpid():
            self._engine.dispose()
        self._engine = None


def _make_engine(url: str, timeout: float = 5.0) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # libpq's connect_timeout is whole seconds, at least 2
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        pool_timeout=timeout,
        connect_args={"connect_timeout": max(2, math.ceil(timeout))},
    )
