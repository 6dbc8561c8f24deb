"""One logging set-up for the service, its workers and the command line: JSON lines on stderr.

Each line has ``timestamp``, ``level``, ``logger`` and ``message``, and, where known, the
``request_id`` and ``tenant_id`` of the request being served (or of the request that queued
the job a worker runs), and for the service's access lines ``method``, ``route`` (the
route's template, never the query), ``status`` and ``duration_ms``. The formatter is
python-json-logger's; this module only binds the request's fields (a context variable,
so that a line logged anywhere while serving a request carries them) and sets the level:
the configured level applies to the project's own loggers (``api``, ``optimizer``), other
libraries' log at WARNING and above.

What is never logged: API keys (only the tenant id is bound) and scenario contents (no
line formats a request body; the tests capture the log of real requests and look).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

#: the project's own loggers: the configured level applies to these
OWN_LOGGERS = ("api", "optimizer", "totalplace")
#: fields of the request (or job) bound to every line logged while it is served
BOUND = ("request_id", "tenant_id", "job_id")

_fields: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("totalplace_log_fields", default=None)


def bind(**fields: Any) -> None:
    """Add fields to the current request's (or job's) log context; shared by the threads serving it."""
    current = _fields.get()
    if current is None:
        _fields.set(dict(fields))
    else:
        current.update(fields)  # one dict per request: a dependency run on a worker thread binds for the whole request


def current() -> dict[str, Any]:
    """The fields bound now (a copy)."""
    return dict(_fields.get() or {})


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[dict[str, Any]]:
    """A fresh log context for one request or job, with ``fields``."""
    token = _fields.set(dict(fields))
    try:
        yield _fields.get() or {}
    finally:
        _fields.reset(token)


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_fields.get() or {}).items():
            if key in BOUND and not hasattr(record, key):
                setattr(record, key, value)
        return True


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]  # (StreamHandler is generic in the stubs only)
    """The handler this module installs (found again, and replaced, by :func:`configure`)."""


def formatter() -> logging.Formatter:
    return JsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure(level: str | int = "INFO", stream: IO[str] | None = None) -> logging.Handler:
    """Send every log line as JSON to ``stream`` (stderr); ``level`` for the project's loggers, WARNING for the rest."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(formatter())
    handler.addFilter(_Context())
    root.addHandler(handler)
    numeric = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}: use debug, info, warning or error")
    root.setLevel(logging.WARNING)  # other libraries; the project's loggers have their own level
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "rq", "rq.worker"):
        logging.getLogger(name).setLevel(max(logging.WARNING, numeric) if name.startswith("rq") else numeric)
    return handler
