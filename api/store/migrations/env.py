"""Alembic's environment for the store: ``api.store.db.Base.metadata`` is the target, SQLite and PostgreSQL alike.

Run by every Alembic command (``api.store.migrations.config`` builds the
configuration). Online, the migrations run on the connection the caller
shares through ``config.attributes["connection"]`` (start-up, ``totalplace
db``), or on one of its own from ``sqlalchemy.url`` (``python -m
api.store.migrations``), in one transaction, after the PostgreSQL advisory lock:
two processes never migrate at once. On SQLite, ALTERs run in batch mode
(copy, drop, rename), as SQLite can alter little in place.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from api.store.db import Base, Database, UTCDateTime
from api.store.migrations import lock

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """New revisions write the store's UTC column type as its plain ``sa.DateTime()``: scripts must not import the models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(target_metadata=target_metadata, render_item=render_item, compare_type=True, **kwargs)


def run_migrations_offline() -> None:
    """``--sql``: write the SQL out instead of running it."""
    url = config.get_main_option("sqlalchemy.url")
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, render_as_batch=bool(url and url.startswith("sqlite")))
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    lock(connection)
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    shared: Connection | None = config.attributes.get("connection")
    if shared is not None:
        _run_on(shared)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: give api.store.migrations.config a url or a connection")
    db = Database(url)
    try:
        with db.engine.begin() as connection:
            _run_on(connection)
    finally:
        db.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
