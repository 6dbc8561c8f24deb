"""Versioned schema migrations of the store (Alembic), shipped inside the package.

The scripts live here (``env.py``, ``script.py.mako``, ``versions/``) so that
an installed service can upgrade its own database: there is no
``alembic.ini``, the configuration is built in code (``config``) with the
scripts' location and the URL from the settings.

Every online run goes through ``env.py``, which takes a PostgreSQL advisory
lock on the migration's connection first: API processes and workers that
start together upgrade one after the other, and the later ones find the
schema at head and do nothing. A process-wide lock does the same for threads,
as Alembic's ``op`` and ``context`` are process-global.

Databases made before migrations existed (by ``create_all``) have the tables
but no ``alembic_version``. ``upgrade`` recognises the two schemas that
``create_all`` could have made (``LEGACY_SCHEMAS``), stamps the matching
revision, then upgrades from there; anything else is refused with a pointer
to ``totalplace db stamp``.

    python -m api.store.migrations revision --autogenerate --rev-id 0003 -m "what changes"
    python -m api.store.migrations history | heads | check | downgrade REV

(any command of Alembic's own CLI, on ``TOTALPLACE_DATABASE_URL``).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

SCRIPT_LOCATION = "api.store:migrations"  # Alembic's package-resource form: found wherever the package is installed
ADVISORY_LOCK = 7361626  # PostgreSQL advisory lock key held while the schema changes

# The schemas that ``Base.metadata.create_all`` made before there were
# migrations: the baseline (0001), and the baseline plus the jobs table's
# columns for analyses (0002). Frozen: create_all is no longer run, so no
# other unversioned schema of this service can exist.
_BASELINE: dict[str, frozenset[str]] = {
    "tenants": frozenset({"id", "name", "created_at"}),
    "api_keys": frozenset({"id", "tenant_id", "key_hash", "label", "created_at", "revoked_at"}),
    "scenarios": frozenset({"id", "tenant_id", "name", "scenario_hash", "canonical_json", "parent_id", "cells", "is_mip", "created_at"}),
    "jobs": frozenset(
        {
            "id",
            "tenant_id",
            "scenario_id",
            "scenario_hash",
            "solver_key",
            "status",
            "stage",
            "progress",
            "error",
            "result_key",
            "attempts",
            "rq_job_id",
            "created_at",
            "queued_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        }
    ),
    "results": frozenset({"id", "tenant_id", "scenario_hash", "solver_key", "status", "result_json", "created_at"}),
    "idempotency_records": frozenset({"tenant_id", "key", "fingerprint", "status_code", "response_body", "headers_json", "created_at"}),
}
LEGACY_SCHEMAS: dict[str, dict[str, frozenset[str]]] = {
    "0001": _BASELINE,
    "0002": {**_BASELINE, "jobs": _BASELINE["jobs"] | {"kind", "options_json", "tasks_total", "report_json"}},
}

_in_process = threading.Lock()
log = logging.getLogger("api.store.migrations")


class UnknownSchema(RuntimeError):
    """The database has tables of this service but no revision, and they match no known schema."""


def config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code: the scripts in this package, the store's URL or an open connection.

    New scripts get Alembic's default names, ``<revision>_<slug>.py``
    (``--rev-id 0003`` keeps the revisions numbered).
    """
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # the option is interpolated: a literal % is %%
    if connection is not None:
        cfg.attributes["connection"] = connection  # env.py runs on it (Alembic's documented way to share a connection)
    return cfg


def head() -> str:
    """The newest revision of the scripts."""
    rev = ScriptDirectory.from_config(config()).get_current_head()
    assert rev is not None
    return rev


def lock(connection: Connection) -> None:
    """On PostgreSQL, wait for the migration lock; it is held until the connection's transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})


def current(engine: Engine) -> str | None:
    """The database's revision (``None``: not versioned, i.e. empty or made by ``create_all``)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class Upgrade(NamedTuple):
    """What an upgrade did, read under the lock: the revisions before and after, and the one stamped on an unversioned database."""

    before: str | None
    adopted: str | None
    after: str | None


def upgrade(engine: Engine, revision: str = "head") -> Upgrade:
    """Upgrade to ``revision`` (default: head), first stamping a database that ``create_all`` made.

    One transaction on PostgreSQL (its DDL is transactional): the advisory
    lock, the stamp and every migration commit together or not at all.
    """
    with _in_process, engine.begin() as conn:
        lock(conn)
        before = MigrationContext.configure(conn).get_current_revision()
        adopted = adopt_unversioned(conn)
        command.upgrade(config(connection=conn), revision)
        done = Upgrade(before, adopted, MigrationContext.configure(conn).get_current_revision())
    if adopted:
        log.warning("the database had tables but no revision: its schema is %s, stamped so", adopted)
    if done.after != (before or adopted):
        log.info("schema upgraded from %s to %s", before or adopted or "empty", done.after)
    return done


def stamp(engine: Engine, revision: str) -> None:
    """Record ``revision`` as the database's own without running any migration (Alembic's ``stamp``; ``--purge`` semantics)."""
    with _in_process, engine.begin() as conn:
        lock(conn)
        command.stamp(config(connection=conn), revision, purge=True)


def adopt_unversioned(conn: Connection) -> str | None:
    """Stamp a database that has this service's tables but no revision recorded with the revision its schema is.

    Nothing is done for a versioned database or one with none of the tables
    (upgrade then builds it from the baseline). Tables and columns are
    compared by name with ``LEGACY_SCHEMAS``: the types and indexes came from
    the same models, and the schema test checks the result against them.
    """
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    ours = set(_BASELINE)
    if not tables & ours or MigrationContext.configure(conn).get_current_revision() is not None:
        return None
    found = {name: frozenset(c["name"] for c in inspector.get_columns(name)) for name in tables & ours}
    for revision, schema in LEGACY_SCHEMAS.items():
        if found == schema:
            command.stamp(config(connection=conn), revision)
            return revision
    raise UnknownSchema(
        "the database has tables of this service but no revision recorded (alembic_version), and they match no schema that an earlier "
        f"version made (tables: {sorted(tables & ours)}). Bring them to a known revision by hand, then record it with "
        "`totalplace db stamp REVISION` and run `totalplace db upgrade`"
    )
