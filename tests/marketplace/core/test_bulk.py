"""insert_rows: COPY on PostgreSQL, one executemany on SQLite; ids in row order, values stored as an INSERT stores them.

These tests run on whichever database the suite uses (CI runs them on both).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import event, func, select

from marketplace.core.bulk import insert_rows
from marketplace.core.models import OutboxEvent, utcnow
from marketplace.extensions import db
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.vocab import LegalStatus, PatentType, PublicationState


def patent_row(owner_id: int, number: str, **values) -> dict:
    now = utcnow()
    return {"application_number": number, "publication_numbers": ["CN1234567A"], "patent_type": PatentType.INVENTION,
            "title": "一种“引号”\t与制表符\\反斜杠的装置", "abstract": "第一行\n第二行", "first_claim": "", "ipc_main": None,
            "ipc_codes": ["B64U 20/80"], "owner_id": owner_id, "co_owners": ["中科大数据研究院"], "inventors": [],
            "application_date": date(2021, 3, 4), "publication_date": None, "grant_date": None,
            "legal_status": LegalStatus.GRANTED, "legal_status_on": None, "proceedings_suspended": False,
            "evaluation_report": None, "grade": "A", "tags": [], "modes": ["license"], "maturity": None,
            "price_min": Decimal("100000.00"), "price_max": None, "state": PublicationState.DRAFT,
            "published_at": None, "source": "bulk-test", "created_at": now, "updated_at": now, **values}


def outbox_rows(count: int) -> list[dict]:
    return [{"consumer": "search", "entity_type": "bulk-test", "entity_id": n, "action": "changed",
             "created_at": utcnow(), "attempts": 0} for n in range(count)]


def test_ids_come_back_in_row_order_and_every_type_reads_back_as_written(ctx, university):
    numbers = ["202110000001.5", "202110000002.X", "202110000003.8"]
    rows = [patent_row(university.organisation_id, number, grade=grade, price_max=price)
            for number, grade, price in zip(numbers, ["A", None, "C"], [None, Decimal("2.50"), Decimal("0.00")])]

    ids = insert_rows(Patent.__table__, rows, return_ids=True)

    stored = {patent.id: patent for patent in db.session.scalars(select(Patent).where(Patent.id.in_(ids)))}
    assert [stored[patent_id].application_number for patent_id in ids] == numbers
    for row, patent_id in zip(rows, ids, strict=True):
        patent = stored[patent_id]
        for name in ("title", "abstract", "publication_numbers", "patent_type", "ipc_main", "ipc_codes", "co_owners",
                     "application_date", "legal_status", "proceedings_suspended", "grade", "modes", "price_min",
                     "price_max", "state", "source"):
            assert getattr(patent, name) == row[name], name


def test_new_keys_do_not_clash_with_later_inserts(ctx, university):
    ids = insert_rows(OutboxEvent.__table__, outbox_rows(3), return_ids=True)
    later = OutboxEvent(consumer="search", entity_type="bulk-test", entity_id=99)
    db.session.add(later)
    db.session.flush()

    assert len(set(ids)) == 3 and later.id > max(ids)
    again = insert_rows(OutboxEvent.__table__, outbox_rows(2), return_ids=True)
    assert min(again) > later.id


def test_rows_without_keys_asked_and_linked_rows(ctx, university):
    [patent_id] = insert_rows(Patent.__table__, [patent_row(university.organisation_id, "202110000001.5")],
                              return_ids=True)
    assert insert_rows(PatentSegment.__table__, [{"patent_id": patent_id, "segment_code": code}
                                                 for code in ("TM-H11", "TM-H12")]) == []
    assert insert_rows(OutboxEvent.__table__, []) == []
    assert db.session.get(Patent, patent_id).segments == ["TM-H11", "TM-H12"]


def test_a_rollback_undoes_the_rows(ctx):
    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.entity_type == "bulk-test"))

    savepoint = db.session.begin_nested()
    insert_rows(OutboxEvent.__table__, outbox_rows(5))
    assert count() == 5
    savepoint.rollback()
    assert count() == 0


def test_postgresql_copies_the_rows_and_sqlite_sends_one_executemany(ctx):
    sent: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement.split("(")[0].strip(), executemany))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        insert_rows(OutboxEvent.__table__, outbox_rows(50))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    inserts = [entry for entry in sent if entry[0].startswith("INSERT INTO outbox_events")]
    if db.engine.dialect.name == "postgresql":  # COPY goes through the driver: no INSERT at all
        assert inserts == []
    else:
        assert inserts == [("INSERT INTO outbox_events", True)]
