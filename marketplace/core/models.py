"""Cross-cutting tables: the audit log and the transactional outbox."""
from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Table, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db


def utcnow() -> datetime:
    """Naive UTC, stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def portable_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum column that works alike on SQLite and PostgreSQL: VARCHAR plus a named CHECK."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda members: [m.value for m in members])


def upsert_insert(table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT offering ``on_conflict_do_nothing`` / ``on_conflict_do_update`` on PostgreSQL and SQLite alike:
    concurrent writers of the same unique key (two workers, two drains) then never fail on each other."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEntry(db.Model):
    """Who changed what, kept forever; written by services in the same transaction."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_audit_entries_entity", "entity_type", "entity_id"),)


class OutboxEvent(db.Model):
    """A change some consumer (search index, push) must act on after commit.

    One row per consumer, written in the same transaction as the change, so a
    crash or an unreachable server never loses it: the drain retries with
    backoff until ``processed_at`` is set, or the row is dead-lettered.
    """

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(32), default="changed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]  # a drain took the row (see outbox.claim); cleared when it fails
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]  # a failed row waits out its backoff (see outbox.Outbox.backoff)
    dead_at: Mapped[datetime | None]  # failed max_attempts times: in the dead letter until an admin re-runs it

    __table_args__ = (Index("ix_outbox_events_pending", "consumer", "processed_at", "id"),)
