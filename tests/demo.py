"""The demo world, seeded once per test process and copied into each test that reads it.

Seeding runs the real services end to end (about 10 s on SQLite, 35 s on PostgreSQL with Elasticsearch), and
some twenty tests read the demo world. The first of them in a process seeds it inside a transaction that is
rolled back, keeping every row; each test then gets those rows inserted into its own rolled-back transaction
(well under a second) and the search documents indexed again by the search consumer itself, from the copied
rows and their stored vectors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask

from marketplace.core import transaction
from marketplace.core.models import OutboxEvent
from marketplace.demo import seed
from marketplace.extensions import db
from marketplace.search.indexing import index_changes
from tests import isolation


@dataclass(frozen=True)
class DemoSnapshot:
    """What seeding wrote (rows per table, in dependency order) and the counts ``seed`` returned."""

    rows: dict[str, list[dict[str, Any]]]
    counts: dict[str, int]


def take_snapshot(app: Flask) -> DemoSnapshot:
    """Seed the demo world in a transaction rolled back afterwards, keeping every row it wrote."""
    with app.app_context():
        engine = db.engine
    with isolation.rolled_back(engine), app.app_context():
        counts = seed()
        transaction.commit()
        rows = {table.name: [dict(row._mapping) for row in db.session.execute(table.select())]
                for table in db.metadata.sorted_tables}
    isolation.empty_search_if_written(app)
    return DemoSnapshot(rows, counts)


def restore(snapshot: DemoSnapshot) -> None:
    """Insert the snapshot's rows (the running test's transaction takes them back) and index them."""
    for table in db.metadata.sorted_tables:
        if snapshot.rows[table.name]:
            db.session.execute(table.insert(), snapshot.rows[table.name])
    db.session.expire_all()
    everything = [OutboxEvent(consumer="search", entity_type=kind, entity_id=row["id"])
                  for kind, table in (("patent", "patents"), ("need", "needs")) for row in snapshot.rows[table]]
    index_changes(everything)
    transaction.commit()
