"""SQL building for the embedded (SQLite FTS5) backend.

Everything user-derived is either a bound parameter or an index token that
the analyzer produced (letters and digits only), quoted as an FTS5 string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from matching.text import AnalyzedQuery, QueryUnit

_TOKEN = re.compile(r"^\w+$")

PATENT_COLUMNS = ("title", "tags", "ipc", "abstract", "claim")
NEED_COLUMNS = ("title", "keywords", "body")


def _quote(token: str) -> str:
    if not _TOKEN.match(token):  # analyzer guarantees this; never let syntax through
        raise ValueError(f"not an index token: {token!r}")
    return f'"{token}"'


def unit_expression(query: AnalyzedQuery) -> str:
    """Conjunction over units; each unit: word OR all-bigrams OR synonym."""
    return " AND ".join(_unit(u) for u in query.units)


def any_unit_expression(query: AnalyzedQuery) -> str:
    """Disjunction over units: the relaxed search, ranked by how much of the query a document has."""
    return " OR ".join(_unit(u) for u in query.units)


def _unit(unit: QueryUnit) -> str:
    if unit.prefix:
        return f"({_quote(unit.word)} * OR {_quote(unit.word)})"
    alts = [_quote(unit.word)]
    if unit.bigrams:
        alts.append("(" + " AND ".join(_quote(b) for b in unit.bigrams) + ")")
    if unit.synonym and unit.synonym != unit.word:
        alts.append(_quote(unit.synonym))
    return "(" + " OR ".join(alts) + ")"


def any_expression(terms: Sequence[str]) -> str:
    """Disjunction of terms: ranked retrieval for matching."""
    return " OR ".join(_quote(t) for t in dict.fromkeys(terms))


def bm25_call(table: str, weights: Sequence[float]) -> str:
    return f"bm25({table}, {', '.join(f'{w:g}' for w in weights)})"


def filter_clauses(kv_table: str, filters: dict[str, list[str]], id_column: str) -> tuple[list[str], list[str]]:
    """One ``id IN (...)`` per filtered field: OR within a field, AND across fields."""
    sql, params = [], []
    for field, values in filters.items():
        marks = ", ".join("?" for _ in values)
        sql.append(f"{id_column} IN (SELECT id FROM {kv_table} WHERE field = ? AND value IN ({marks}))")
        params += [field, *values]
    return sql, params


def schema(prefix: str, columns: Sequence[str], extra_columns: str) -> list[str]:
    cols = ", ".join(columns)
    return [
        f"CREATE TABLE {prefix}_docs (id INTEGER PRIMARY KEY, {extra_columns}, doc TEXT NOT NULL)",
        f"CREATE TABLE {prefix}_kv (id INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL)",
        f"CREATE INDEX {prefix}_kv_fv ON {prefix}_kv (field, value, id)",
        f"CREATE INDEX {prefix}_kv_id ON {prefix}_kv (id)",
        f"CREATE VIRTUAL TABLE {prefix}_fts USING fts5({cols}, tokenize = 'unicode61 remove_diacritics 0')",
        f"CREATE VIRTUAL TABLE {prefix}_vocab USING fts5vocab({prefix}_fts, 'row')",
        f"CREATE TABLE {prefix}_stats (n INTEGER NOT NULL, total REAL NOT NULL, gen INTEGER NOT NULL DEFAULT 0)",
        # Document vectors (float16 bytes); ``gen`` = the stats generation that wrote the row,
        # so readers reload only the rows written since their copy.
        f"CREATE TABLE {prefix}_vec (id INTEGER PRIMARY KEY, gen INTEGER NOT NULL, vec BLOB NOT NULL)",
        f"CREATE INDEX {prefix}_vec_gen ON {prefix}_vec (gen)",
    ]
