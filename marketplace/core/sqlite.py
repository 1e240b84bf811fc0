"""The embedded database under concurrent use: WAL, a busy timeout, and write transactions that start as writers.

SQLite's defaults (rollback journal, readers blocking writers, a 5 s driver
timeout) turn three parallel imports into "database is locked" for everyone
else. On every new connection (an engine ``connect`` event) this module
switches to WAL (readers never block the writer), sets ``busy_timeout``
(a writer waits for the lock instead of failing) and ``synchronous=NORMAL``
(the WAL default for durability per commit at a fraction of the fsyncs).
It also turns on ``foreign_keys``: SQLite ignores ``REFERENCES`` unless told,
so without it a delete PostgreSQL refuses would leave dangling rows here.
Migrations switch it off around their table copies (``migrations/env.py``).

A deferred transaction that reads and then writes fails at once with
``SQLITE_BUSY`` when another writer committed in between — no timeout helps.
So transactions begin explicitly: ``BEGIN IMMEDIATE`` (take the write lock
first, waiting for it) when the unit of work intends to write — a POST, PUT,
PATCH or DELETE request, a job — and a plain ``BEGIN`` otherwise (GET
requests, which never write). ``write_intent`` says which for the current
context. Nothing here applies to PostgreSQL.
"""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 30_000
_writing: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_write_intent", default=False)


def set_write_intent(writing: bool) -> contextvars.Token[bool]:
    """Declare whether transactions begun from now on in this context will write; returns a reset token."""
    return _writing.set(writing)


def reset_write_intent(token: contextvars.Token[bool]) -> None:
    _writing.reset(token)


@contextmanager
def write_intent(writing: bool = True) -> Iterator[None]:
    token = _writing.set(writing)
    try:
        yield
    finally:
        _writing.reset(token)


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver's implicit BEGIN is replaced by _on_begin's
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")  # first: switching to WAL may have to wait
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


def configure_engine(engine: Engine) -> None:
    """Install the connection and transaction events on a SQLite engine (idempotent; no-op for others)."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "connect", _on_connect):
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)


def init_app(app: Flask) -> None:
    """Configure the app's engine (created here, without connecting)."""
    from marketplace.extensions import db
    with app.app_context():
        configure_engine(db.engine)
