"""The embedded database is set up for concurrent use: WAL, a busy timeout, writers begin as writers."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, text

from marketplace.core import sqlite as embedded
from marketplace.core.sqlite import BUSY_TIMEOUT_MS, write_intent
from marketplace.extensions import db


def test_every_sqlite_connection_uses_wal_and_a_busy_timeout(app):
    """Issue 11: the embedded default ran with the rollback journal and no busy timeout ("database is locked")."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":  # the same suite on PostgreSQL: nothing is installed there
            assert not event.contains(db.engine, "connect", embedded._on_connect)
            return
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS


@pytest.mark.committed  # its own transactions, not the one every rolled-back test joins
def test_a_write_intent_takes_the_sqlite_write_lock_at_begin(app):
    """A deferred transaction that reads and then writes fails at once when another writer committed in between;
    a writer that begins IMMEDIATE holds the lock from its first statement, and readers (WAL) still read."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            assert not event.contains(db.engine, "begin", embedded._on_begin)
            return
        path = db.engine.url.database
        with write_intent(True):
            db.session.execute(text("SELECT 1"))  # begins the transaction
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                assert other.execute("SELECT count(*) FROM users").fetchone() is not None  # readers are not blocked
            finally:
                other.close()
                db.session.rollback()
        db.session.execute(text("SELECT 1"))  # no write intent: a plain (deferred) BEGIN
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()
            db.session.rollback()
