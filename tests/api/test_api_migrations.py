"""Schema migrations (``api/store/migrations``) on a real PostgreSQL and a SQLite file.

Each PostgreSQL test gets a database of its own (``totalplace_migrations_test_<tag>``,
dropped after it). The first test also catches a model change without a
migration: the schema that ``upgrade head`` builds must not differ from
``api.store.db.Base.metadata``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from service_testing import ROOT, client_for, env_of, fast, fresh_database, wait_for
from sqlalchemy import Column, Engine, ForeignKey, MetaData, Table, inspect, text

from api.settings import Settings
from api.store import migrations
from api.store.db import Base, Database

HEAD = "0002"
ANALYSES_COLUMNS = ("kind", "options_json", "tasks_total", "report_json")
TABLES = {t.name for t in Base.metadata.sorted_tables}


@pytest.fixture
def pg_migrations_url(session_tag: str) -> Iterator[str]:
    """An empty PostgreSQL database of this test's own, dropped after it."""
    with fresh_database(f"totalplace_migrations_test_{session_tag}") as url:
        yield Settings(database_url=url).database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty store, on SQLite and on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_migrations_url")
    database = Database(url)
    yield database
    database.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    """What autogenerate would write to bring the database to the models: empty when they agree."""
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))


def assert_at_head(engine: Engine) -> None:
    assert migrations.current(engine) == HEAD == migrations.head()
    assert schema_diff(engine) == []
    jobs = {c["name"]: c for c in inspect(engine).get_columns("jobs")}
    assert jobs["kind"]["default"] is None and not jobs["kind"]["nullable"]  # filled by the migration, then left to the model


def legacy_metadata() -> MetaData:
    """The models as the first release had them: the jobs table without the columns for analyses."""
    meta = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name != "jobs":
            table.to_metadata(meta)
            continue
        columns = [
            Column(
                c.name,
                c.type,
                *[ForeignKey(fk.target_fullname) for fk in c.foreign_keys],
                primary_key=c.primary_key,
                nullable=c.nullable,
                index=c.index,
            )
            for c in table.columns
            if c.name not in ANALYSES_COLUMNS
        ]
        Table("jobs", meta, *columns)
    return meta


def add_rows(engine: Engine) -> None:
    """A tenant with a key, a scenario, a job, a result and an idempotency record (the job's kind only if the table has it)."""
    now = "2026-01-02 03:04:05"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tenants (id, name, created_at) VALUES ('tn_1', 'north', :t)"), {"t": now})
        conn.execute(
            text("INSERT INTO api_keys (id, tenant_id, key_hash, label, created_at) VALUES ('k1', 'tn_1', :h, 'ops', :t)"),
            {"h": "0" * 64, "t": now},
        )
        conn.execute(
            text(
                "INSERT INTO scenarios (id, tenant_id, name, scenario_hash, canonical_json, cells, is_mip, created_at) "
                "VALUES ('sc_1', 'tn_1', 'tiny', :h, '{}', 6, false, :t)"
            ),
            {"h": "a" * 64, "t": now},
        )
        kind = ("kind", "'solve', ") if "kind" in {c["name"] for c in inspect(conn).get_columns("jobs")} else ("", "")
        conn.execute(
            text(
                f"INSERT INTO jobs (id, tenant_id, scenario_id, scenario_hash, solver_key, status, stage, progress, attempts, "
                f"{kind[0] + ', ' if kind[0] else ''}created_at, queued_at) "
                f"VALUES ('jb_1', 'tn_1', 'sc_1', :h, 'highs', 'finished', 'done', 1.0, 1, {kind[1]}:t, :t)"
            ),
            {"h": "a" * 64, "t": now},
        )
        conn.execute(
            text(
                "INSERT INTO results (tenant_id, scenario_hash, solver_key, status, result_json, created_at) "
                "VALUES ('tn_1', :h, 'highs', 'optimal', '{\"x\": 1}', :t)"
            ),
            {"h": "a" * 64, "t": now},
        )
        conn.execute(
            text("INSERT INTO idempotency_records (tenant_id, key, fingerprint, created_at) VALUES ('tn_1', 'idem', :f, :t)"),
            {"f": "f" * 64, "t": now},
        )


def assert_rows_kept(engine: Engine) -> None:
    with engine.connect() as conn:
        for table in TABLES:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 1, table
        job = conn.execute(text("SELECT status, kind, options_json, tasks_total, report_json FROM jobs WHERE id = 'jb_1'")).one()
        assert tuple(job) == ("finished", "solve", None, None, None)
        assert conn.execute(text("SELECT result_json FROM results")).scalar_one() == '{"x": 1}'


def test_upgrade_head_on_an_empty_database_builds_exactly_the_models(db: Database) -> None:
    assert migrations.current(db.engine) is None
    assert db.upgrade_schema() == (None, None, HEAD)  # nothing to adopt
    assert_at_head(db.engine)
    assert db.upgrade_schema() == (HEAD, None, HEAD)  # again: nothing to do
    assert_at_head(db.engine)


def test_a_database_at_the_baseline_keeps_its_rows_and_gains_the_columns(db: Database) -> None:
    migrations.upgrade(db.engine, "0001")
    assert migrations.current(db.engine) == "0001"
    assert not set(ANALYSES_COLUMNS) & {c["name"] for c in inspect(db.engine).get_columns("jobs")}
    add_rows(db.engine)
    migrations.upgrade(db.engine)
    assert_at_head(db.engine)
    assert_rows_kept(db.engine)


def test_downgrade_to_base_then_upgrade_again(db: Database) -> None:
    db.upgrade_schema()
    with db.engine.begin() as conn:
        command.downgrade(migrations.config(connection=conn), "base")
    assert migrations.current(db.engine) is None
    assert not TABLES & set(inspect(db.engine).get_table_names())
    db.upgrade_schema()
    assert_at_head(db.engine)


@pytest.mark.parametrize("made_by", ["first release", "analyses release"])
def test_a_database_made_by_create_all_is_stamped_and_upgraded(db: Database, made_by: str) -> None:
    legacy, expected = (legacy_metadata(), "0001") if made_by == "first release" else (Base.metadata, "0002")
    legacy.create_all(db.engine)
    add_rows(db.engine)
    assert db.upgrade_schema() == (None, expected, HEAD)
    assert_at_head(db.engine)
    assert_rows_kept(db.engine)


def test_an_unknown_unversioned_schema_is_refused_and_left_alone(db: Database) -> None:
    Base.metadata.create_all(db.engine, tables=[Base.metadata.tables["tenants"], Base.metadata.tables["scenarios"]])
    with pytest.raises(migrations.UnknownSchema, match="totalplace db stamp"):
        db.upgrade_schema()
    assert set(inspect(db.engine).get_table_names()) == {"tenants", "scenarios"}


def test_start_up_upgrades_a_first_release_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}", **fast())
    db = Database(settings.database_url)
    legacy_metadata().create_all(db.engine)
    add_rows(db.engine)
    with client_for(settings) as client:
        assert client.get("/healthz").status_code == 200
    assert_at_head(db.engine)
    assert_rows_kept(db.engine)
    db.dispose()


def test_start_up_leaves_the_schema_alone_when_told(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'none.db'}", create_tables=False, **fast())
    with client_for(settings):
        pass
    db = Database(settings.database_url)
    assert migrations.current(db.engine) is None and not TABLES & set(inspect(db.engine).get_table_names())
    db.dispose()


def cli(url: str, *args: str, module: str = "api") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args], env=env_of(Settings(database_url=url)), cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_two_processes_upgrading_together_on_postgresql_both_succeed(pg_migrations_url: str) -> None:
    """Both wait on the advisory lock held here, are released at once, and migrate one after the other."""
    db = Database(pg_migrations_url)
    env = env_of(Settings(database_url=pg_migrations_url))
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND NOT granted"
    with db.engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": migrations.ADVISORY_LOCK})
        holder.commit()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "api", "db", "upgrade"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        try:
            with db.engine.connect() as probe:
                wait_for(
                    lambda: (
                        probe.execute(text(waiting), {"key": migrations.ADVISORY_LOCK}).scalar_one() == 2
                        or any(p.poll() is not None for p in procs)
                    ),
                    60,
                    "both upgrades to wait for the lock",
                )
            assert all(p.poll() is None for p in procs), [p.communicate()[0] for p in procs]
            assert migrations.current(db.engine) is None  # neither got past the lock
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": migrations.ADVISORY_LOCK})
            holder.commit()
            outputs = [p.communicate(timeout=60)[0] for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sorted(o.strip().splitlines()[-1] for o in outputs) == [f"database at {HEAD} (was {HEAD})", f"database at {HEAD} (was empty)"]
    assert_at_head(db.engine)
    db.dispose()


def test_threads_with_their_own_engines_upgrading_together_both_succeed(pg_migrations_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    dbs = [Database(pg_migrations_url) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda d: d.upgrade_schema(), dbs))
    assert_at_head(dbs[0].engine)
    for d in dbs:
        d.dispose()


def test_db_commands(db: Database) -> None:
    url = db.url
    assert cli(url, "db", "current").stdout.startswith("none")
    done = cli(url, "db", "upgrade", "0001")
    assert done.returncode == 0 and done.stdout.strip() == "database at 0001 (was empty)", done.stderr
    assert cli(url, "db", "current").stdout.startswith(f"0001 (head is {HEAD}")
    assert cli(url, "db", "upgrade").stdout.strip() == f"database at {HEAD} (was 0001)"
    current = cli(url, "db", "current")
    assert current.returncode == 0 and current.stdout.strip() == f"{HEAD} (head)"
    # forget the revision, as a database made before migrations has none: upgrade recognises the tables
    assert cli(url, "db", "stamp", "base").stdout.strip() == "database stamped base"
    adopted = cli(url, "db", "upgrade")
    assert adopted.returncode == 0 and f"match {HEAD}" in adopted.stderr and adopted.stdout.strip() == f"database at {HEAD} (was {HEAD})"
    assert cli(url, "db", "stamp", "head").stdout.strip() == f"database stamped {HEAD}"
    # Alembic's own commands on the same configuration: nothing left to autogenerate
    check = cli(url, "check", module="api.store.migrations")
    assert check.returncode == 0, check.stdout + check.stderr
    assert cli(url, "heads", module="api.store.migrations").stdout.strip() == f"{HEAD} (head)"
    wrong = cli(url, "db", "stamp", "9999")
    assert wrong.returncode == 1 and "9999" in wrong.stderr
    assert_at_head(db.engine)


def test_db_upgrade_refuses_an_unknown_unversioned_schema(db: Database) -> None:
    Base.metadata.create_all(db.engine, tables=[Base.metadata.tables["tenants"]])
    refused = cli(db.url, "db", "upgrade")
    assert refused.returncode == 1 and "totalplace db stamp" in refused.stderr, refused.stderr
