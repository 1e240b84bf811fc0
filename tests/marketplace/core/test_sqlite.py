"""The embedded database is set up for concurrent use (WAL, a busy timeout, writers begin as writers) and, like
PostgreSQL, enforces foreign keys."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import PasswordResetToken, User
from marketplace.core import sqlite as embedded
from marketplace.core.models import utcnow
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


def test_a_row_whose_foreign_key_points_nowhere_is_refused(ctx, university):
    """SQLite ignored REFERENCES until ``PRAGMA foreign_keys`` was set on every connection: a deleted parent
    left dangling rows that PostgreSQL refuses."""
    missing_user = db.session.scalar(select(func.max(User.id))) + 1000
    with pytest.raises(IntegrityError, match="(?i)foreign key"):
        with db.session.begin_nested():
            db.session.execute(insert(PasswordResetToken).values(user_id=missing_user, token_hash="x" * 64,
                                                                 expires_at=utcnow()))
    db.session.execute(insert(PasswordResetToken).values(user_id=university.id, token_hash="y" * 64,
                                                         expires_at=utcnow()))  # the same row with a real user


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
