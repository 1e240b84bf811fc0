"""How tests stay apart without emptying every table after each one (see tests/README.md).

A test runs inside one transaction on one connection, rolled back at its end.
Every SQLAlchemy session the test opens on the suite's app (``ctx``, an
``app_context``, each request of the test client) is bound to that connection
and joins the transaction through a SAVEPOINT (SQLAlchemy 2.0's
``join_transaction_mode="create_savepoint"``), so the app's one commit per
request releases a savepoint: later requests and the test see the rows, the
rollback at the end removes them.

Tests whose rows must be seen by other connections (worker subprocesses,
threads) are marked ``committed`` (``redis`` and ``postgres`` tests are, by
their nature): they commit for real and every table and search index is
emptied after them.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Connection, Engine, text

from marketplace.extensions import db
from matching.backend import SearchBackend

COMMITTED_MARKERS = ("committed", "redis", "postgres")
_SEARCH_WRITES = ("index_patents", "index_needs", "delete_patent", "delete_need", "rebuild", "drop")


class _Binding:
    """The connection the running test's sessions use, for the suite's engine only."""

    engine: Engine | None = None
    connection: Connection | None = None
    thread: int | None = None


_binding = _Binding()
_flask_get_bind = FlaskSession.get_bind


def _get_bind(self: FlaskSession, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
    chosen = _flask_get_bind(self, mapper=mapper, clause=clause, bind=bind, **kwargs)
    connection = _binding.connection
    if connection is None or chosen is not _binding.engine:
        return chosen  # committed tests, and other apps' engines (a browser test's own database)
    if threading.get_ident() != _binding.thread:
        raise RuntimeError("a thread other than the test's used the database inside a rolled-back test: "
                           "mark the test @pytest.mark.committed so its rows are really committed")
    return connection


def install(engine: Engine) -> None:
    """Route the suite's sessions to the running test's connection (idempotent)."""
    if FlaskSession.get_bind is not _get_bind:
        FlaskSession.get_bind = _get_bind  # type: ignore[method-assign]
    db.session.configure(join_transaction_mode="create_savepoint")
    dialect = engine.dialect
    if not getattr(dialect, "test_quiet_savepoints", False):
        # The savepoints are the suite's plumbing, not the app's queries: emit them on the driver's
        # cursor so statement listeners (tests counting a page's queries) see what production runs.
        dialect.do_savepoint = lambda connection, name: _driver_execute(connection, f"SAVEPOINT {name}")
        dialect.do_release_savepoint = lambda connection, name: _driver_execute(
            connection, f"RELEASE SAVEPOINT {name}")
        dialect.do_rollback_to_savepoint = lambda connection, name: _driver_execute(
            connection, f"ROLLBACK TO SAVEPOINT {name}")
        dialect.test_quiet_savepoints = True


def _driver_execute(connection: Connection, statement: str) -> None:
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Connection]:
    """One connection in a transaction that every session of the test joins, rolled back at the end."""
    connection = engine.connect()
    driver = connection.connection.driver_connection if engine.dialect.name == "sqlite" else None
    saved_level = None
    if driver is not None:
        # pysqlite starts transactions itself and would let RELEASE of the first SAVEPOINT commit:
        # take over (SQLAlchemy's documented recipe) so BEGIN … ROLLBACK frames the whole test.
        saved_level = driver.isolation_level
        driver.isolation_level = None
    outer = connection.begin()
    if driver is not None and not driver.in_transaction:  # the app's engine events may have begun it already
        connection.exec_driver_sql("BEGIN")
    _binding.engine, _binding.connection, _binding.thread = engine, connection, threading.get_ident()
    try:
        yield connection
    finally:
        _binding.engine = _binding.connection = _binding.thread = None
        if outer.is_active:
            outer.rollback()
        if driver is not None:
            driver.isolation_level = saved_level
        connection.close()


def empty_database() -> None:
    """Delete every row (after a test that really committed), children before parents. SQLite checks each
    foreign key at the end of its statement unless told to wait for the commit (``defer_foreign_keys``, reset
    by the commit): rows that reference each other across tables are then deleted whatever the order."""
    db.session.rollback()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA defer_foreign_keys = ON"))
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    db.session.remove()


def track_writes(backend: SearchBackend) -> None:
    """Remember when a test wrote to the search backend, so only those tests pay for emptying it."""
    for name in _SEARCH_WRITES:
        method = getattr(backend, name)

        def tracked(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
            backend.test_written = True  # type: ignore[attr-defined]
            return _method(*args, **kwargs)

        setattr(backend, name, tracked)
    backend.test_written = False  # type: ignore[attr-defined]


def written(backend: SearchBackend) -> bool:
    return bool(getattr(backend, "test_written", True))


def empty_search_if_written(app: Flask) -> None:
    """Empty the app's search indices if something wrote to them since they were last emptied."""
    backend = app.extensions["search"]
    if written(backend):
        with app.app_context():
            empty_search(backend)


def empty_search(backend: SearchBackend) -> None:
    """Remove every document but keep the indices (creating an index costs far more than emptying it)."""
    if backend.name == "elasticsearch":
        client = backend.client  # type: ignore[attr-defined]
        aliases = f"{backend.patent_alias},{backend.need_alias}"  # type: ignore[attr-defined]
        # (the distribution CI runs has no _delete_by_query: read the ids, delete them in one bulk request)
        while True:
            client.indices.refresh(index=aliases, ignore_unavailable=True, allow_no_indices=True)
            hits = client.search(index=aliases, query={"match_all": {}}, size=10_000, source=False,
                                 ignore_unavailable=True, allow_no_indices=True)["hits"]["hits"]
            if not hits:
                break
            client.bulk(operations=[{"delete": {"_index": hit["_index"], "_id": hit["_id"]}} for hit in hits],
                        refresh=True)
        getattr(backend, "_df", {}).clear()  # cached document frequencies of the documents just removed
    else:
        backend.drop()
    backend.ensure_indices()
    backend.test_written = False  # type: ignore[attr-defined]
