"""The ``totalplace`` command: the core's commands plus the service's (serve, worker, keys).

totalplace serve [--host H] [--port P] [--workers N]   the API (embedded defaults, or PostgreSQL + Redis from the environment)
totalplace worker [--processes N] [--burst]            RQ workers for the queue in TOTALPLACE_REDIS_URL
totalplace keys create --tenant NAME [--label L]       a new API key, printed as the last line
totalplace keys list | keys revoke KEY_ID | keys rotate KEY_ID   (revoke and rotate are heard by every API process at once)
totalplace db upgrade [REVISION] | db current | db stamp REVISION   the store's schema (Alembic revisions in api/store/migrations)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from optimizer import cli_app as app
from optimizer import cli_main as _core_main

if TYPE_CHECKING:
    from api.settings import Settings
    from api.store.db import Database

__all__ = ["app", "main"]

T = TypeVar("T")

keys_app = typer.Typer(add_completion=False, no_args_is_help=True, help="API keys of tenants (stored hashed).")
app.add_typer(keys_app, name="keys")
db_app = typer.Typer(add_completion=False, no_args_is_help=True, help="The store's schema: versioned migrations (TOTALPLACE_DATABASE_URL).")
app.add_typer(db_app, name="db")


def _require_service() -> None:
    """The service's commands need the [service] extra; without it, say so (exit 2) rather than fail on an import."""
    import importlib.util

    missing = [m for m in ("fastapi", "sqlalchemy", "pydantic_settings", "uvicorn", "redis", "rq") if importlib.util.find_spec(m) is None]
    if missing:
        typer.echo(
            f"error: this command is the service's, which is not installed here (missing: {', '.join(missing)}): "
            "pip install 'totalplace[service]'",
            err=True,
        )
        raise typer.Exit(2)


def _settings() -> Settings:
    """Imported lazily: the core's commands must not pay for the web stack."""
    from api.settings import get_settings

    return get_settings()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0 in a container)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes (PostgreSQL + Redis only; embedded mode runs one)")] = 1,
) -> None:
    """Run the HTTP API (docs at /docs). Settings come from TOTALPLACE_* variables (docs/api.md)."""
    _require_service()
    import uvicorn

    settings = _settings()
    if workers > 1 and not settings.uses_rq:
        typer.echo(
            "error: embedded mode (no TOTALPLACE_REDIS_URL) runs jobs inside the API process, so it runs one process: "
            "drop --workers, or set TOTALPLACE_DATABASE_URL and TOTALPLACE_REDIS_URL",
            err=True,
        )
        raise typer.Exit(2)
    mode = "production: Redis cache, RQ jobs" if settings.uses_rq else "embedded: in-process cache and jobs"
    typer.echo(f"totalplace API on http://{host}:{port} ({mode}; store {_safe_url(settings.database_url)})", err=True)
    # log_config=None: uvicorn keeps the service's JSON set-up (optimizer/logs.py); the service logs each request itself
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        log_config=None,
        access_log=False,
    )


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="worker processes on this machine (each runs one job at a time)")] = 1,
    burst: Annotated[bool, typer.Option(help="stop when the queue is empty")] = False,
) -> None:
    """Run RQ workers for the job queue (on this or any machine pointed at the same Redis and database)."""
    _require_service()
    settings = _settings()
    if not settings.uses_rq:
        typer.echo(
            "error: set TOTALPLACE_REDIS_URL (and TOTALPLACE_DATABASE_URL) to the API's: "
            "in embedded mode the API runs its jobs itself and needs no worker",
            err=True,
        )
        raise typer.Exit(2)
    import redis
    from rq import Queue, Worker
    from rq.worker_pool import WorkerPool

    import api.jobs.worker  # noqa: F401 - loaded before forking, so each work horse starts warm
    from api.store.db import Database
    from optimizer import logs

    logs.configure(settings.log_level)
    if settings.create_tables:
        Database(settings.database_url).upgrade_schema()
    assert settings.redis_url is not None
    connection = redis.Redis.from_url(settings.redis_url)
    typer.echo(f"totalplace worker: {processes} process(es) on queue '{settings.queue_name}' at {_safe_url(settings.redis_url)}", err=True)
    if processes == 1:
        Worker([Queue(settings.queue_name, connection=connection)], connection=connection).work(
            burst=burst, logging_level=settings.log_level.upper()
        )
    else:
        WorkerPool([settings.queue_name], connection=connection, num_workers=processes).start(
            burst=burst, logging_level=settings.log_level.upper()
        )


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="the tenant's name, e.g. 'north-partnership-board' (created if new)")],
    label: Annotated[str, typer.Option(help="a note on who holds the key")] = "",
) -> None:
    """Create an API key for a tenant; the key is printed once, as the last line."""
    _require_service()
    from api.edge.auth import create_key

    tenant = tenant.strip()
    if not tenant or len(tenant) > 200:
        typer.echo("error: --tenant must be 1 to 200 characters", err=True)
        raise typer.Exit(2)
    db = _database()
    with db.session() as session:
        key, row = create_key(session, tenant, label)
        session.commit()
        tenant_id = row.id
    typer.echo(f"Created an API key for tenant '{tenant}' ({tenant_id}). Only its hash is stored: keep it now, it cannot be shown again.")
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (their public ids, never the keys)."""
    _require_service()
    from api.store import crud

    with _database().session() as session:
        for key, tenant in crud.list_keys(session):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(f"{key.id}  {tenant.name:30}  {state:18}  created {key.created_at:%Y-%m-%d %H:%M}  {key.label}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key's id (the part after 'tp_', as `keys list` shows it)")]) -> None:
    """Revoke a key: requests with it get 401 from now on (every API process is told at once)."""
    _require_service()
    from api.store import crud

    with _database().session() as session:
        if not crud.revoke_key(session, key_id):
            typer.echo(f"error: no active key with id {key_id!r} (see `totalplace keys list`)", err=True)
            raise typer.Exit(1)
        session.commit()
    _announce(key_id)
    typer.echo(f"revoked {key_id}")


@keys_app.command("rotate")
def keys_rotate(key_id: Annotated[str, typer.Argument(help="the id of the key to replace (as `keys list` shows it)")]) -> None:
    """Replace a key: a new key for the same tenant and label, printed as the last line; the old one is revoked."""
    from api.edge.auth import hash_key, new_key
    from api.store import crud
    from api.store.db import Tenant

    with _database().session() as session:
        old = crud.active_key(session, key_id)
        tenant = None if old is None else session.get(Tenant, old.tenant_id)
        if old is None or tenant is None:
            typer.echo(f"error: no active key with id {key_id!r} (see `totalplace keys list`)", err=True)
            raise typer.Exit(1)
        key, new_id = new_key()
        crud.add_key(session, tenant, new_id, hash_key(key), old.label)
        crud.revoke_key(session, key_id)
        session.commit()
        name = tenant.name
    _announce(key_id)
    typer.echo(
        f"Replaced key {key_id} of tenant '{name}' with {new_id}; {key_id} is revoked. Keep the new key now, it cannot be shown again."
    )
    typer.echo(key)


def _announce(key_id: str) -> None:
    """Tell the API processes (Redis pub/sub); without Redis they re-check their keys every key_recheck_seconds anyway."""
    from api.edge.revocation import announce

    settings = _settings()
    if settings.redis_url and announce(settings.redis_url, settings.cache_prefix, key_id) is None:
        typer.echo(
            f"warning: Redis did not take the announcement: API processes that still hear Redis may accept the key for "
            f"up to {settings.key_cache_seconds:g} s (TOTALPLACE_KEY_CACHE_SECONDS); run the command again once Redis is back",
            err=True,
        )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="the revision to reach")] = "head") -> None:
    """Upgrade the schema (what start-up does with TOTALPLACE_CREATE_TABLES); a database made before migrations is adopted first."""
    _require_service()
    from api.store import migrations

    db = _bare_database()
    try:
        done = _migrating(lambda: migrations.upgrade(db.engine, revision))
    finally:
        db.dispose()
    if done.adopted:
        typer.echo(f"the tables had no revision and match {done.adopted}: stamped {done.adopted}", err=True)
    typer.echo(f"database at {done.after or 'base'} (was {done.before or done.adopted or 'empty'})")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision, and whether it is the newest."""
    _require_service()
    from api.store import migrations

    db = _bare_database()
    try:
        rev = _migrating(lambda: migrations.current(db.engine))
    finally:
        db.dispose()
    head = migrations.head()
    if rev is None:
        typer.echo("none (no revision recorded: `totalplace db upgrade` builds an empty database, or adopts one an earlier version made)")
    elif rev == head:
        typer.echo(f"{rev} (head)")
    else:
        typer.echo(f"{rev} (head is {head}: run `totalplace db upgrade`)")


@db_app.command("stamp")
def db_stamp(
    revision: Annotated[str, typer.Argument(help="the revision the schema already is ('head', '0001', ...; 'base' forgets it)")],
) -> None:
    """Record the schema's revision without changing any table (for a database brought up to date by hand)."""
    _require_service()
    from api.store import migrations

    db = _bare_database()
    try:
        _migrating(lambda: migrations.stamp(db.engine, revision))
        rev = migrations.current(db.engine)
    finally:
        db.dispose()
    typer.echo(f"database stamped {rev or 'base'}")


def _bare_database() -> Database:
    """The store without the start-up upgrade: the ``db`` commands decide what happens to the schema."""
    from api.store.db import Database

    return Database(_settings().database_url)


def _migrating(step: Callable[[], T]) -> T:
    """Run a schema step; Alembic's and the adoption's errors become a message and exit status 1."""
    from alembic.util import CommandError

    from api.store.migrations import UnknownSchema

    try:
        return step()
    except (CommandError, UnknownSchema) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _database() -> Database:
    from api.store.db import Database

    settings = _settings()
    db = Database(settings.database_url)
    if settings.create_tables:
        db.upgrade_schema()
    return db


def _safe_url(url: str) -> str:
    """A URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - redis URLs are not SQLAlchemy's; strip by hand
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return url


def main() -> None:
    _core_main()


if __name__ == "__main__":  # pragma: no cover
    main()
