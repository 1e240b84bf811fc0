"""Running the suite in several processes (``pytest -n 2``, pytest-xdist) against shared servers.

Each worker (``PYTEST_XDIST_WORKER`` = gw0, gw1 …) gets its own PostgreSQL
database (the suite's name plus ``_gw0`` …, created on first use and dropped
at the end) and, as before, its own Elasticsearch index prefix and SQLite
files. A test that stops Elasticsearch (marked ``stops_elasticsearch``) waits
until no other worker is inside a test, and the others wait for it: every
test holds a shared lock on a file next to the server's address, that one an
exclusive lock. Without xdist none of this does anything.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def worker_database_url(url: str) -> str:
    """The suite's PostgreSQL URL, with this worker's own database under xdist."""
    if not WORKER or not url.startswith("postgres"):
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


def _admin(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_worker_database(url: str) -> None:
    if not WORKER or make_url(url).get_backend_name() != "postgresql":
        return
    name = make_url(url).database
    admin = _admin(url)
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def drop_worker_database(url: str) -> None:
    if not WORKER or make_url(url).get_backend_name() != "postgresql":
        return
    admin = _admin(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


class _Turns:
    """Readers (every test) and one writer (a test stopping the server), across processes, writer first."""

    def __init__(self, key: str) -> None:
        base = Path(tempfile.gettempdir()) / f"patentmkt-es-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
        self._gate: IO[bytes] = open(f"{base}.gate", "ab")  # noqa: SIM115 (held for the process' life)
        self._lock: IO[bytes] = open(f"{base}.lock", "ab")  # noqa: SIM115

    @contextmanager
    def shared(self) -> Iterator[None]:
        fcntl.flock(self._gate, fcntl.LOCK_EX)  # a waiting writer holds the gate: no new reader slips past
        fcntl.flock(self._lock, fcntl.LOCK_SH)
        fcntl.flock(self._gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)


_turns: _Turns | None = None


def elasticsearch_turns() -> _Turns | None:
    global _turns
    es_url = os.environ.get("ES_URL")
    if not WORKER or not es_url:
        return None
    if _turns is None:
        _turns = _Turns(es_url)
    return _turns


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Each test (its fixtures' setup and teardown included) takes its turn at the shared Elasticsearch."""
    turns = elasticsearch_turns()
    if turns is None:
        yield
        return
    stops = item.get_closest_marker("stops_elasticsearch") is not None
    with turns.exclusive() if stops else turns.shared():
        yield
