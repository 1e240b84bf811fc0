"""Embedded backend: one SQLite file with FTS5, no server.

Layout mirrors the Elasticsearch backend: each rebuild writes tables with a
version suffix (``p_v<ns>_docs``/``_kv``/``_fts`` for patents, ``n_v<ns>_*`` for
needs) and the ``aliases`` table points at the live version; swapping the
alias is one transaction, and every read runs in one read transaction (WAL
snapshot), so readers never see a half-built or dropped index.

Only listable documents are stored (published patents in a visible legal
status, open needs); indexing an unlisted one deletes it, so every query is
restricted to them by construction. Several processes may share the file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from matching import embedded_sql as q
from matching.bm25 import bm25f, selective_groups
from matching.backend import Candidates, Facets, NeedCandidates, SearchBackend, FACET_SIZE
from matching.documents import NeedDoc, PatentDoc
from matching.errors import SearchUnavailable
from matching.fields import (
    TermGroups, NEED_FACETS, NEED_TEXT_FIELDS, PATENT_FACETS, PATENT_TEXT_FIELDS, grade_rank, need_facets, need_text,
    patent_facets, patent_text,
)
from matching.querying import SearchPlan
from matching.results import FacetValue, RebuildReport
from matching.scoring import Weights
from matching.text import Analyzer

_PATENT_EXTRA = "app_date TEXT, grade_rank INTEGER NOT NULL, wlen REAL NOT NULL"
_NEED_EXTRA = "public INTEGER NOT NULL, valid_until TEXT, wlen REAL NOT NULL"
_PW = [PATENT_TEXT_FIELDS[c] for c in q.PATENT_COLUMNS]
_NW = [NEED_TEXT_FIELDS[c] for c in q.NEED_COLUMNS]


class EmbeddedBackend(SearchBackend):
    name = "embedded"

    def __init__(self, path: str, analyzer: Analyzer, weights: Weights | None = None) -> None:
        super().__init__(analyzer, weights)
        self.path = path
        self._local = threading.local()

    # ---- connection & transactions ----------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            try:
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA cache_size=-65536")
                conn.execute("CREATE TABLE IF NOT EXISTS aliases (name TEXT PRIMARY KEY, version TEXT NOT NULL)")
            except (sqlite3.Error, OSError) as exc:
                raise SearchUnavailable(f"embedded index {self.path}: {exc}") from exc
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise SearchUnavailable(f"embedded index {self.path}: {exc}") from exc

    @staticmethod
    def _alias(conn: sqlite3.Connection, name: str) -> str | None:
        row = conn.execute("SELECT version FROM aliases WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _live(self, conn: sqlite3.Connection, name: str) -> str:
        version = self._alias(conn, name)
        if version is None:
            version = self._create(conn, name)
            conn.execute("INSERT INTO aliases (name, version) VALUES (?, ?)", (name, version))
        return version

    @staticmethod
    def _create(conn: sqlite3.Connection, name: str) -> str:
        version = f"{name[0]}_v{time.time_ns()}"
        cols, extra = (q.PATENT_COLUMNS, _PATENT_EXTRA) if name == "patents" else (q.NEED_COLUMNS, _NEED_EXTRA)
        for stmt in q.schema(version, cols, extra):
            conn.execute(stmt)
        conn.execute(f"INSERT INTO {version}_stats (n, total) VALUES (0, 0)")
        return version

    @staticmethod
    def _drop_version(conn: sqlite3.Connection, version: str) -> None:
        for suffix in ("vocab", "fts", "kv", "docs", "stats"):
            conn.execute(f"DROP TABLE IF EXISTS {version}_{suffix}")

    # ---- storage -----------------------------------------------------------
    def ensure_indices(self) -> None:
        with self._tx(write=True) as conn:
            self._live(conn, "patents")
            self._live(conn, "needs")

    def _write_patents(self, conn: sqlite3.Connection, v: str, docs: Iterable[PatentDoc]) -> int:
        n = 0
        order = self.weights.grade_order
        for doc in docs:
            self._delete(conn, v, doc.id)
            if doc.matchable:
                text = patent_text(doc, self.analyzer)
                wlen = sum(PATENT_TEXT_FIELDS[c] * len(text[c].split()) for c in q.PATENT_COLUMNS)
                conn.execute(f"INSERT INTO {v}_docs (id, app_date, grade_rank, wlen, doc) VALUES (?, ?, ?, ?, ?)",
                             (doc.id, doc.application_date.isoformat() if doc.application_date else None,
                              grade_rank(doc.grade, order), wlen, json.dumps(doc.to_dict(), ensure_ascii=False)))
                conn.execute(f"UPDATE {v}_stats SET n = n + 1, total = total + ?", (wlen,))
                conn.executemany(f"INSERT INTO {v}_kv (id, field, value) VALUES (?, ?, ?)",
                                 [(doc.id, f, val) for f, vals in patent_facets(doc).items() for val in vals])
                conn.execute(f"INSERT INTO {v}_fts (rowid, {', '.join(q.PATENT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
                             (doc.id, *(text[c] for c in q.PATENT_COLUMNS)))
            n += 1
        return n

    def _write_needs(self, conn: sqlite3.Connection, v: str, docs: Iterable[NeedDoc]) -> int:
        n = 0
        for doc in docs:
            self._delete(conn, v, doc.id)
            if doc.status == "open":
                text = need_text(doc, self.analyzer)
                wlen = sum(NEED_TEXT_FIELDS[c] * len(text[c].split()) for c in q.NEED_COLUMNS)
                conn.execute(f"INSERT INTO {v}_docs (id, public, valid_until, wlen, doc) VALUES (?, ?, ?, ?, ?)",
                             (doc.id, int(doc.public), doc.valid_until.isoformat() if doc.valid_until else None,
                              wlen, json.dumps(doc.to_dict(), ensure_ascii=False)))
                conn.execute(f"UPDATE {v}_stats SET n = n + 1, total = total + ?", (wlen,))
                conn.executemany(f"INSERT INTO {v}_kv (id, field, value) VALUES (?, ?, ?)",
                                 [(doc.id, f, val) for f, vals in need_facets(doc).items() for val in vals])
                conn.execute(f"INSERT INTO {v}_fts (rowid, {', '.join(q.NEED_COLUMNS)}) VALUES (?, ?, ?, ?)",
                             (doc.id, *(text[c] for c in q.NEED_COLUMNS)))
            n += 1
        return n

    @staticmethod
    def _delete(conn: sqlite3.Connection, v: str, doc_id: int) -> None:
        row = conn.execute(f"SELECT wlen FROM {v}_docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return
        conn.execute(f"UPDATE {v}_stats SET n = n - 1, total = total - ?", (row[0],))
        conn.execute(f"DELETE FROM {v}_fts WHERE rowid = ?", (doc_id,))
        conn.execute(f"DELETE FROM {v}_kv WHERE id = ?", (doc_id,))
        conn.execute(f"DELETE FROM {v}_docs WHERE id = ?", (doc_id,))

    def index_patents(self, docs: Iterable[PatentDoc]) -> int:
        with self._tx(write=True) as conn:
            return self._write_patents(conn, self._live(conn, "patents"), docs)

    def index_needs(self, docs: Iterable[NeedDoc]) -> int:
        with self._tx(write=True) as conn:
            return self._write_needs(conn, self._live(conn, "needs"), docs)

    def delete_patent(self, patent_id: int) -> None:
        with self._tx(write=True) as conn:
            self._delete(conn, self._live(conn, "patents"), patent_id)

    def delete_need(self, need_id: int) -> None:
        with self._tx(write=True) as conn:
            self._delete(conn, self._live(conn, "needs"), need_id)

    def rebuild(self, patents: Iterable[PatentDoc], needs: Iterable[NeedDoc]) -> RebuildReport:
        started = time.perf_counter()
        # Build the new versions in their own transactions: readers keep using
        # the live alias meanwhile; only the swap below is visible to them.
        with self._tx(write=True) as conn:
            pv, nv = self._create(conn, "patents"), self._create(conn, "needs")
        try:
            with self._tx(write=True) as conn:
                n_pat = self._write_patents(conn, pv, patents)
                n_need = self._write_needs(conn, nv, needs)
                conn.execute(f"INSERT INTO {pv}_fts ({pv}_fts) VALUES ('optimize')")
                conn.execute(f"INSERT INTO {nv}_fts ({nv}_fts) VALUES ('optimize')")
        except BaseException:
            with self._tx(write=True) as conn:
                self._drop_version(conn, pv)
                self._drop_version(conn, nv)
            raise
        with self._tx(write=True) as conn:
            old = [self._alias(conn, "patents"), self._alias(conn, "needs")]
            conn.execute("INSERT OR REPLACE INTO aliases (name, version) VALUES ('patents', ?), ('needs', ?)", (pv, nv))
            for version in old:
                if version:
                    self._drop_version(conn, version)
        return RebuildReport(n_pat, n_need, pv, nv, time.perf_counter() - started)

    def refresh(self) -> None:
        """Writes are visible at commit; nothing to do."""

    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchone()
            return True
        except (sqlite3.Error, SearchUnavailable):
            return False

    def drop(self) -> None:
        with self._tx(write=True) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_fts' ESCAPE '\\'")]
            for table in tables:
                self._drop_version(conn, table[: -len("_fts")])
            conn.execute("DELETE FROM aliases")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ---- retrieval -----------------------------------------------------------
    def _page(self, conn: sqlite3.Connection, v: str, plan: SearchPlan, weights: list[float],
              base_where: list[str], base_params: list[Any], facets: Sequence[str], order: str) -> tuple[list[tuple[dict[str, Any], float]], int, Facets]:
        where, params = q.filter_clauses(f"{v}_kv", plan.filters, "d.id")
        where, params = base_where + where, base_params + params
        if plan.query.units:
            source = (f"SELECT f.rowid AS id, -{q.bm25_call(f'{v}_fts', weights)} AS s FROM {v}_fts f "
                      f"WHERE {v}_fts MATCH ?")
            params = [q.unit_expression(plan.query)] + params
        else:
            source = f"SELECT id, 0.0 AS s FROM {v}_docs"
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, s REAL)")
        conn.execute("DELETE FROM temp.hits")
        cond = " AND ".join(where) or "1"
        conn.execute(f"INSERT INTO temp.hits SELECT h.id, h.s FROM ({source}) h JOIN {v}_docs d ON d.id = h.id WHERE {cond}",
                     params)
        total = conn.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
        # Sort ids only, then load the page's documents: sorting rows that
        # carry the JSON would copy every hit's document through the sorter.
        page = conn.execute(f"SELECT h.id, h.s FROM temp.hits h JOIN {v}_docs d ON d.id = h.id "
                            f"ORDER BY {order} LIMIT ? OFFSET ?", (plan.per_page, plan.offset)).fetchall()
        marks = ", ".join("?" for _ in page)
        docs = dict(conn.execute(f"SELECT id, doc FROM {v}_docs WHERE id IN ({marks})", [i for i, _ in page]))
        # Few hits: walk the hits' facet rows; many: scan the facet index once.
        join = "temp.hits h CROSS JOIN" if total * 4 < self._n_docs(conn, v) else "temp.hits h JOIN"
        marks = ", ".join("?" for _ in facets)
        counts: Facets = {f: [] for f in facets}
        for field, value, count in conn.execute(
                f"SELECT k.field, k.value, count(*) AS c FROM {join} {v}_kv k ON h.id = k.id "
                f"WHERE k.field IN ({marks}) GROUP BY k.field, k.value ORDER BY k.field, c DESC, k.value", list(facets)):
            if len(counts[field]) < FACET_SIZE:
                counts[field].append(FacetValue(value, count))
        return [(json.loads(docs[i]), s) for i, s in page], total, counts

    def _patent_page(self, plan: SearchPlan) -> tuple[Candidates, int, Facets]:
        has_q = bool(plan.query.units)
        rel = "h.s DESC, d.id" if has_q else "d.app_date DESC NULLS LAST, d.id DESC"
        order = {
            "relevance": rel,
            "application_date_desc": "d.app_date DESC NULLS LAST, d.id",
            "application_date_asc": "d.app_date ASC NULLS LAST, d.id",
            "grade": f"d.grade_rank, {rel}",
        }[plan.sort]
        with self._tx() as conn:
            v = self._alias(conn, "patents")
            if v is None:
                return [], 0, {f: [] for f in PATENT_FACETS}
            rows, total, facets = self._page(conn, v, plan, _PW, [], [], PATENT_FACETS, order)
        return [(PatentDoc.from_dict(d), s) for d, s in rows], total, facets

    def _need_page(self, plan: SearchPlan, today: date) -> tuple[NeedCandidates, int, Facets]:
        has_q = bool(plan.query.units)
        order = "h.s DESC, d.id" if has_q and plan.sort == "relevance" else "d.id DESC"
        with self._tx() as conn:
            v = self._alias(conn, "needs")
            if v is None:
                return [], 0, {f: [] for f in NEED_FACETS}
            rows, total, facets = self._page(
                conn, v, plan, _NW, ["d.public = 1", "(d.valid_until IS NULL OR d.valid_until >= ?)"],
                [today.isoformat()], NEED_FACETS, order)
        return [(NeedDoc.from_dict(d), s) for d, s in rows], total, facets

    def _candidates(self, name: str, columns: tuple[str, ...], weights: dict[str, float], groups: TermGroups,
                    segments: Sequence[str], k: int, extra: str = "",
                    extra_params: Sequence[object] = ()) -> list[tuple[dict[str, Any], float]]:
        """Top-k by Σ group weight × BM25F(group terms).

        ``extra``: SQL selecting the ids allowed (``{v}`` = live version).

        Candidates are the union of each group's top-k by its selective terms
        (FTS5); every candidate is then scored in Python with all terms by
        BM25F as Elasticsearch's ``combined_fields`` computes it — FTS5 cannot
        score a given set of rows without evaluating the whole OR query.
        """
        groups = tuple((terms, w) for terms, w in groups if terms)
        with self._tx() as conn:
            v = self._alias(conn, name)
            if v is None or not groups:
                return []
            allowed = self._allowed(conn, v, segments, extra, extra_params)
            bm25 = q.bm25_call(f"{v}_fts", [weights[c] for c in columns])
            df = self._doc_freqs(conn, v, groups)
            ids: dict[int, None] = {}
            for terms, _ in selective_groups(groups, df, self._n_docs(conn, v)):
                cursor = conn.execute(f"SELECT f.rowid, -{bm25} AS s FROM {v}_fts f WHERE {v}_fts MATCH ? "
                                      f"ORDER BY s DESC, f.rowid", [q.any_expression(terms)])
                taken = 0
                for rowid, _ in cursor:
                    if allowed is None or rowid in allowed:
                        ids[rowid] = None
                        taken += 1
                        if taken >= k:
                            break
                cursor.close()
            if not ids:
                return []
            marks = ", ".join("?" for _ in ids)
            texts = conn.execute(f"SELECT rowid, {', '.join(columns)} FROM {v}_fts WHERE rowid IN ({marks})",
                                 list(ids)).fetchall()
            n_docs, total = conn.execute(f"SELECT n, total FROM {v}_stats").fetchone()
            scored = bm25f(texts, columns, weights, groups, df, n_docs, total / max(n_docs, 1))
            top = sorted(scored.items(), key=lambda r: (-r[1], r[0]))[:k]
            marks = ", ".join("?" for _ in top)
            docs = conn.execute(f"SELECT id, doc FROM {v}_docs WHERE id IN ({marks})", [i for i, _ in top]).fetchall()
        by_id = {i: json.loads(d) for i, d in docs}
        return [(by_id[i], s) for i, s in top if i in by_id]

    @staticmethod
    def _allowed(conn: sqlite3.Connection, v: str, segments: Sequence[str], extra: str,
                 extra_params: Sequence[object]) -> set[int] | None:
        """Ids passing the filters, or None for no filter.

        Computed up front and applied while walking the ranked FTS5 rows: a
        ``rowid IN (subquery)`` next to MATCH makes SQLite run the whole OR
        query once per candidate row.
        """
        allowed: set[int] | None = None
        if segments:
            marks = ", ".join("?" for _ in segments)
            allowed = {r[0] for r in conn.execute(
                f"SELECT id FROM {v}_kv WHERE field = 'segment' AND value IN ({marks})", list(segments))}
        if extra:
            ids = {r[0] for r in conn.execute(extra.replace("{v}", v), list(extra_params))}
            allowed = ids if allowed is None else allowed & ids
        return allowed

    @staticmethod
    def _n_docs(conn: sqlite3.Connection, v: str) -> int:
        n: int = conn.execute(f"SELECT n FROM {v}_stats").fetchone()[0]
        return n

    @staticmethod
    def _doc_freqs(conn: sqlite3.Connection, v: str, groups: TermGroups) -> dict[str, int]:
        terms = list(dict.fromkeys(t for ts, _ in groups for t in ts))
        marks = ", ".join("?" for _ in terms)
        return dict(conn.execute(f"SELECT term, doc FROM {v}_vocab WHERE term IN ({marks})", terms).fetchall())

    def _patent_candidates(self, groups: TermGroups, segments: Sequence[str], k: int) -> Candidates:
        return [(PatentDoc.from_dict(d), s) for d, s in self._candidates("patents", q.PATENT_COLUMNS, PATENT_TEXT_FIELDS, groups, segments, k)]

    def _need_candidates(self, groups: TermGroups, segments: Sequence[str], k: int, today: date) -> NeedCandidates:
        # Expired needs are filtered in SQL so that they do not take pool slots.
        extra = "SELECT id FROM {v}_docs WHERE valid_until IS NULL OR valid_until >= ?"
        rows = self._candidates("needs", q.NEED_COLUMNS, NEED_TEXT_FIELDS, groups, segments, k, extra,
                               [today.isoformat()])
        return [(NeedDoc.from_dict(d), s) for d, s in rows]

