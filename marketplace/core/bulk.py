"""Insert thousands of rows at once (spreadsheet imports): PostgreSQL's ``COPY``, an executemany elsewhere.

Measured on a 10,000-row import into PostgreSQL (``bench/import_rows.py``):
psycopg's pipelined executemany of one prepared ``INSERT`` spends most of
the write time adapting and sending 30 parameters a row and the server
planning one statement per row; a multi-row ``INSERT … VALUES … RETURNING``
was slower still (reverted in 473a14e). ``COPY … FROM STDIN`` streams the
rows as one statement, and the new primary keys are drawn from the table's
sequence in one query beforehand, so nothing is read back.

Rows go through the column types' bind processors, exactly as an
``INSERT`` would send them (enum values, JSON text, Decimal); the session's
connection and transaction are used, so a rollback undoes the copy too. The
rows bypass the ORM, as ``session.execute(table.insert(), rows)`` does.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from marketplace.extensions import db


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]], *, return_ids: bool = False) -> list[int]:
    """Insert ``rows`` (all with the same keys) into ``table``; their new primary keys in order if ``return_ids``.

    ``return_ids`` needs a single integer primary key. On SQLite (in-process,
    where an executemany costs no round trips) the rows go as one executemany
    and the ids are the last ``len(rows)`` of the table: SQLite numbers rows
    without an explicit key max(rowid) + 1 in turn, and the executemany's
    write lock keeps every other writer out until the transaction ends
    (measured: a third less CPU than ``INSERT … RETURNING`` per row).
    """
    if not rows:
        return []
    connection = db.session.connection()
    key = next(iter(table.primary_key.columns))
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), list(rows))
        if not return_ids:
            return []
        last = connection.scalar(select(func.max(key)))
        assert last is not None
        return list(range(last - len(rows) + 1, last + 1))
    ids: list[int] = []
    if return_ids:
        ids = _reserve_ids(connection, table, key.name, len(rows))
        rows = [{**row, key.name: new_id} for row, new_id in zip(rows, ids, strict=True)]
    _copy(connection, table, rows)
    return ids


def _reserve_ids(connection: Connection, table: Table, key: str, count: int) -> list[int]:
    """``count`` fresh values of the key's sequence, in one query."""
    sequence = connection.scalar(select(func.pg_get_serial_sequence(table.name, key)))
    return list(connection.scalars(text("SELECT nextval(:sequence) FROM generate_series(1, :count)"),
                                   {"sequence": sequence, "count": count}))


def _copy(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect = connection.dialect
    names = list(rows[0])
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    quote = dialect.identifier_preparer.quote
    statement = (f"COPY {dialect.identifier_preparer.format_table(table)} "
                 f"({', '.join(quote(name) for name in names)}) FROM STDIN")
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[name] if process is None else process(row[name])
                            for name, process in zip(names, processors, strict=True)])
