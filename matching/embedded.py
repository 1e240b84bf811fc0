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

import base64
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import numpy as np
import orjson
from numpy.typing import NDArray

from matching import embedded_sql as q
from matching.bm25 import bm25f, selective_groups
from matching.backend import (
    FACET_SIZE, POOL, SEGMENT_POOL, AnalysisSink, Candidates, Facets, NeedCandidates, SearchBackend, merge_pools,
)
from matching.documents import Analysis, NeedDoc, PatentDoc
from matching.errors import SearchUnavailable
from matching.fields import (
    TermGroups, NEED_FACETS, NEED_TEXT_FIELDS, PATENT_FACETS, PATENT_TEXT_FIELDS, analysed, grade_rank, need_facets,
    patent_facets,
)
from matching.parallel import map_chunks
from matching.querying import SearchPlan
from matching.results import FacetValue, RebuildReport
from matching.scoring import Weights
from matching.semantic import F32, from_bytes
from matching.text import Analyzer

_PATENT_EXTRA = "app_date TEXT, grade_rank INTEGER NOT NULL, wlen REAL NOT NULL"
_NEED_EXTRA = "public INTEGER NOT NULL, valid_until TEXT, wlen REAL NOT NULL"
_PW = [PATENT_TEXT_FIELDS[c] for c in q.PATENT_COLUMNS]
_NW = [NEED_TEXT_FIELDS[c] for c in q.NEED_COLUMNS]


# One pool of connections per process: a fixed number, each with a bounded page cache, so a
# web process's memory does not grow with its request threads (64 MiB per thread before). Misses are
# served from the OS's file cache: 4 MiB each instead of 8 kept ~18 MiB off a busy web process, 2 instead of 4
# another ~13 (1,000 searches from 8 threads: 294 → 280 MiB), with no measurable cost (bench/web_memory.py).
POOL_SIZE = 4
CACHE_KIB = 2 * 1024
# Documents analysed per chunk (in worker processes for bulk loads, ``matching.parallel``) and written per statement.
WRITE_CHUNK = 500
# Facet counts over at least this many hits are counted in memory.
FACETS_IN_MEMORY = 2000
# Filtered id sets kept per process (``_allowed``): a few segment combinations of the live versions.
ALLOWED_CACHE = 64
# Decoded need documents kept per process (``_documents``): a push ranks ~130 of 10,000 open needs per patent;
# a decoded document takes 4–5 KiB, so at most ~45 MiB.
DOC_CACHE = 10_000
# Stored vectors read per block when a process loads a version's matrix.
VECTOR_BLOCK = 4096
_DOC_TYPES: dict[str, type[PatentDoc] | type[NeedDoc]] = {"p": PatentDoc, "n": NeedDoc}  # by version initial


class _Pool:
    """At most ``size`` connections to one file, handed to one thread at a time."""

    def __init__(self, path: str, size: int, cache_kib: int) -> None:
        self.path, self.size, self.cache_kib = path, size, cache_kib
        self.pid = os.getpid()
        self._idle: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._opened = 0
        self._lock = threading.Lock()

    def _open(self) -> sqlite3.Connection:
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA cache_size=-{self.cache_kib}")
        conn.execute("PRAGMA temp_store=FILE")
        conn.execute("CREATE TABLE IF NOT EXISTS aliases (name TEXT PRIMARY KEY, version TEXT NOT NULL)")
        return conn

    def acquire(self) -> sqlite3.Connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            grow = self._opened < self.size
            if grow:
                self._opened += 1
        if grow:
            try:
                return self._open()
            except BaseException:
                with self._lock:
                    self._opened -= 1
                raise
        return self._idle.get(timeout=60)

    def release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # never hand on a connection in the middle of a transaction
            conn.execute("ROLLBACK")
        self._idle.put(conn)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
            finally:
                with self._lock:
                    self._opened = max(0, self._opened - 1)


class EmbeddedBackend(SearchBackend):
    name = "embedded"

    def __init__(self, path: str, analyzer: Analyzer, weights: Weights | None = None, *,
                 pool_size: int = POOL_SIZE, cache_kib: int = CACHE_KIB) -> None:
        super().__init__(analyzer, weights)
        self.path = path
        self.pool_size, self.cache_kib = pool_size, cache_kib
        self._pool: _Pool | None = None
        self._pool_lock = threading.Lock()
        self._vectors: dict[str, _Vectors] = {}
        self._facet_cache: dict[str, _FacetIndex] = {}
        self._sort_cache: _SortKeys | None = None
        self._allowed_cache: dict[tuple[str, int, tuple[str, ...], str, tuple[object, ...]], frozenset[int]] = {}
        self._doc_cache: dict[str, tuple[int, dict[int, Any]]] = {}  # version → (its write generation, docs)
        self._vec_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # Analysis worker processes (spawn platforms) get the backend without its connections.
        state = self.__dict__.copy()
        state.update(_pool=None, _pool_lock=None, _vec_lock=None, _vectors={}, _facet_cache={}, _sort_cache=None,
                     _allowed_cache={}, _doc_cache={})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _pool_lock=threading.Lock(), _vec_lock=threading.Lock())

    # ---- connection & transactions ----------------------------------------
    def _connections(self) -> _Pool:
        pool = self._pool
        if pool is None or pool.pid != os.getpid():  # a forked child opens its own
            with self._pool_lock:
                pool = self._pool
                if pool is None or pool.pid != os.getpid():
                    pool = self._pool = _Pool(self.path, self.pool_size, self.cache_kib)
                    self._vectors, self._facet_cache, self._sort_cache = {}, {}, None
        return pool

    @contextmanager
    def _borrow(self) -> Iterator[sqlite3.Connection]:
        pool = self._connections()
        try:
            conn = pool.acquire()
        except (sqlite3.Error, OSError, queue.Empty) as exc:
            raise SearchUnavailable(f"embedded index {self.path}: {exc}") from exc
        try:
            yield conn
        finally:
            pool.release(conn)

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        with self._borrow() as conn:
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
        for suffix in ("vocab", "fts", "kv", "docs", "stats", "vec"):
            conn.execute(f"DROP TABLE IF EXISTS {version}_{suffix}")

    # ---- storage -----------------------------------------------------------
    def ensure_indices(self) -> None:
        with self._tx(write=True) as conn:
            self._live(conn, "patents")
            self._live(conn, "needs")

    def _write_patents(self, conn: sqlite3.Connection, v: str, docs: Iterable[PatentDoc], fresh: bool = False,
                       keep: AnalysisSink | None = None) -> int:
        state = (self, self.weights.grade_order)
        return self._write(conn, v, map_chunks(_patent_rows, state, docs, WRITE_CHUNK), q.PATENT_COLUMNS,
                           "app_date, grade_rank", fresh, keep, "patent")

    def _write_needs(self, conn: sqlite3.Connection, v: str, docs: Iterable[NeedDoc], fresh: bool = False,
                     keep: AnalysisSink | None = None) -> int:
        return self._write(conn, v, map_chunks(_need_rows, self, docs, WRITE_CHUNK), q.NEED_COLUMNS,
                           "public, valid_until", fresh, keep, "need")

    def _write(self, conn: sqlite3.Connection, v: str, chunks: Iterable[list[_Row]], columns: tuple[str, ...],
               extra: str, fresh: bool, keep: AnalysisSink | None, kind: str) -> int:
        """Writes analysed chunks (``_patent_rows``/``_need_rows``), a statement per table per chunk.

        ``fresh``: ``v`` is a new, empty version (a rebuild): only an id met
        twice in the input needs deleting first. ``keep``: told each chunk's new analyses (of ``kind``).
        """
        n = 0
        gen = self._next_gen(conn, v)
        seen: set[int] = set()
        docs_sql = f"INSERT INTO {v}_docs (id, {extra}, wlen, doc) VALUES (?, ?, ?, ?, ?)"
        fts_sql = f"INSERT INTO {v}_fts (rowid, {', '.join(columns)}) VALUES (?{', ?' * len(columns)})"
        for chunk in chunks:
            for row in chunk:
                if not fresh or row.id in seen:
                    self._delete(conn, v, row.id)
                seen.add(row.id)
            if keep is not None and (made := [(r.id, r.made) for r in chunk if r.made is not None]):
                keep(kind, made)
            kept = [r for r in chunk if r.doc is not None]
            n += len(chunk)
            if not kept:
                continue
            conn.executemany(f"INSERT OR REPLACE INTO {v}_vec (id, gen, vec) VALUES (?, ?, ?)",
                             [(r.id, gen, r.vec) for r in kept if r.vec is not None])
            conn.executemany(docs_sql, [(r.id, *r.extra, r.wlen, r.doc) for r in kept])
            conn.execute(f"UPDATE {v}_stats SET n = n + ?, total = total + ?", (len(kept), sum(r.wlen for r in kept)))
            conn.executemany(f"INSERT INTO {v}_kv (id, field, value) VALUES (?, ?, ?)",
                             [(r.id, f, val) for r in kept for f, val in r.facets])
            conn.executemany(fts_sql, [(r.id, *r.text) for r in kept])
        return n

    @staticmethod
    def _next_gen(conn: sqlite3.Connection, v: str) -> int:
        conn.execute(f"UPDATE {v}_stats SET gen = gen + 1")
        gen: int = conn.execute(f"SELECT gen FROM {v}_stats").fetchone()[0]
        return gen

    @staticmethod
    def _delete(conn: sqlite3.Connection, v: str, doc_id: int) -> None:
        row = conn.execute(f"SELECT wlen FROM {v}_docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return
        conn.execute(f"DELETE FROM {v}_vec WHERE id = ?", (doc_id,))
        conn.execute(f"UPDATE {v}_stats SET n = n - 1, total = total - ?, gen = gen + 1", (row[0],))
        conn.execute(f"DELETE FROM {v}_fts WHERE rowid = ?", (doc_id,))
        conn.execute(f"DELETE FROM {v}_kv WHERE id = ?", (doc_id,))
        conn.execute(f"DELETE FROM {v}_docs WHERE id = ?", (doc_id,))

    def index_patents(self, docs: Iterable[PatentDoc], keep: AnalysisSink | None = None) -> int:
        with self._tx(write=True) as conn:
            return self._write_patents(conn, self._live(conn, "patents"), docs, keep=keep)

    def index_needs(self, docs: Iterable[NeedDoc], keep: AnalysisSink | None = None) -> int:
        with self._tx(write=True) as conn:
            return self._write_needs(conn, self._live(conn, "needs"), docs, keep=keep)

    def delete_patent(self, patent_id: int) -> None:
        with self._tx(write=True) as conn:
            self._delete(conn, self._live(conn, "patents"), patent_id)

    def delete_need(self, need_id: int) -> None:
        with self._tx(write=True) as conn:
            self._delete(conn, self._live(conn, "needs"), need_id)

    def rebuild(self, patents: Iterable[PatentDoc], needs: Iterable[NeedDoc],
                keep: AnalysisSink | None = None) -> RebuildReport:
        started = time.perf_counter()
        # Build the new versions in their own transactions: readers keep using
        # the live alias meanwhile; only the swap below is visible to them.
        with self._tx(write=True) as conn:
            pv, nv = self._create(conn, "patents"), self._create(conn, "needs")
        try:
            with self._tx(write=True) as conn:
                n_pat = self._write_patents(conn, pv, patents, fresh=True, keep=keep)
                n_need = self._write_needs(conn, nv, needs, fresh=True, keep=keep)
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
            with self._borrow() as conn:
                conn.execute("SELECT 1").fetchone()
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
        """Closes the idle connections (borrowed ones are closed when they come back: none here)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None and pool.pid == os.getpid():
            pool.close()

    # ---- retrieval -----------------------------------------------------------
    def _page(self, conn: sqlite3.Connection, v: str, plan: SearchPlan, weights: list[float],
              base_where: list[str], base_params: list[Any], facets: Sequence[str],
              order: str, keys: str, sort_keys: bool = False) -> tuple[list[tuple[Any, float]], int, Facets]:
        """One page, the total and the facet counts. ``keys``: the two document columns ``order``
        refers to as ``h.k1``, ``h.k2`` (besides ``h.s`` and ``h.id``); ``sort_keys``: they are the
        patents' application date and grade rank, which ``_SortKeys`` holds in memory."""
        where, params = q.filter_clauses(f"{v}_kv", plan.filters, "d.id")
        where, params = base_where + where, base_params + params
        bm25 = q.bm25_call(f"{v}_fts", weights)
        # An order without the score (by date, by id) scores the page's hits only, not every hit.
        score_all = "h.s" in order
        expression = ""
        if plan.query.units:
            source = (f"SELECT f.rowid AS id, {f'-{bm25}' if score_all else '0.0'} AS s FROM {v}_fts f "
                      f"WHERE {v}_fts MATCH ?")
            expression = q.any_unit_expression(plan.query) if plan.any_unit else q.unit_expression(plan.query)
            params = [expression] + params
        else:
            source = f"SELECT id, 0.0 AS s FROM {v}_docs"
        # The hits carry their sort keys, so that sorting them needs no join with the documents.
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS page_hits (id INTEGER PRIMARY KEY, s REAL, k1, k2)")
        conn.execute("DELETE FROM temp.page_hits")
        if sort_keys and not where and "h.k" in order:
            # Sorted by date or grade with no filter (a one-word search by date): the keys come from
            # this process's copy (``_SortKeys``), not from a look-up of every hit's document row.
            hits = conn.execute(source, params).fetchall()
            keys_index = self._sort_keys(conn, v)
            page_at = keys_index.page(hits, plan)
            total = len(hits)
            page = [(hits[i][0], hits[i][1]) for i in page_at]
            ids = np.fromiter((h[0] for h in hits), np.int64, total)
            if total < FACETS_IN_MEMORY:
                conn.executemany("INSERT INTO temp.page_hits (id) VALUES (?)", ((int(i),) for i in ids))
            return self._finish_page(conn, v, plan, page, total, facets, expression, score_all, bm25, ids)
        if where or "h.k" in order:
            conn.execute(f"INSERT INTO temp.page_hits SELECT h.id, h.s, {keys} FROM ({source}) h "
                         f"JOIN {v}_docs d ON d.id = h.id WHERE {' AND '.join(where) or '1'}", params)
        else:  # neither a filter nor a sort key: no look-up of every hit's document row
            conn.execute(f"INSERT INTO temp.page_hits SELECT h.id, h.s, NULL, NULL FROM ({source}) h", params)
        total = conn.execute("SELECT count(*) FROM temp.page_hits").fetchone()[0]
        page = conn.execute(f"SELECT h.id, h.s FROM temp.page_hits h ORDER BY {order} LIMIT ? OFFSET ?",
                            (plan.per_page, plan.offset)).fetchall()
        return self._finish_page(conn, v, plan, page, total, facets, expression, score_all, bm25)

    def _finish_page(self, conn: sqlite3.Connection, v: str, plan: SearchPlan, page: list[tuple[int, float]],
                     total: int, facets: Sequence[str], expression: str, score_all: bool, bm25: str,
                     ids: NDArray[np.int64] | None = None) -> tuple[list[tuple[Any, float]], int, Facets]:
        """The page's scores (when the order did not need them) and documents, and the facet counts."""
        marks = ", ".join("?" for _ in page)
        if expression and not score_all and page:
            scores = dict(conn.execute(f"SELECT f.rowid, -{bm25} FROM {v}_fts f WHERE {v}_fts MATCH ? "
                                       f"AND f.rowid IN ({marks})", [expression, *(i for i, _ in page)]))
            page = [(i, scores[i]) for i, _ in page]
        docs = self._documents(conn, v, [i for i, _ in page])
        counts = self._facet_counts(conn, v, facets, total, ids)
        return [(docs[i], s) for i, s in page], total, counts

    def _documents(self, conn: sqlite3.Connection, v: str, ids: Sequence[int]) -> dict[int, Any]:
        """The documents of version ``v`` by id. Need documents are kept decoded per write generation of their
        version (any write bumps it): pushes rank the same open needs for patent after patent, and decoding them
        was a sixth of a push's ranking. Patent documents are decoded each time (~10 µs each): a search page shows
        20 of 100,000, so keeping them would hold ~45 MiB in the web process for rare hits. Documents are never
        changed in place (``dataclasses.replace``), so sharing them is safe."""
        if not ids:
            return {}
        doc_type = _DOC_TYPES[v[0]]
        if doc_type is not NeedDoc:
            return self._decoded(conn, v, doc_type, ids)
        gen = conn.execute(f"SELECT gen FROM {v}_stats").fetchone()[0]
        with self._vec_lock:
            kept_gen, kept = self._doc_cache.get(v, (gen, {}))
            found = {i: kept[i] for i in ids if i in kept} if kept_gen == gen else {}
        missing = [i for i in ids if i not in found]
        if not missing:
            return found
        fresh = self._decoded(conn, v, doc_type, missing)
        with self._vec_lock:  # this generation of each version only, and a bounded number in all
            kept_gen, kept = self._doc_cache.get(v, (gen, {}))
            if sum(len(docs) for _gen, docs in self._doc_cache.values()) + len(fresh) > DOC_CACHE:
                self._doc_cache, kept = {}, {}
            elif kept_gen != gen:
                kept = {}
            kept.update(fresh)
            self._doc_cache[v] = (gen, kept)
        return {**found, **fresh}

    @staticmethod
    def _decoded(conn: sqlite3.Connection, v: str, doc_type: type[PatentDoc] | type[NeedDoc],
                 ids: Sequence[int]) -> dict[int, Any]:
        marks = ", ".join("?" for _ in ids)
        return {i: doc_type.from_dict(orjson.loads(d))
                for i, d in conn.execute(f"SELECT id, doc FROM {v}_docs WHERE id IN ({marks})", ids)}

    def _facet_counts(self, conn: sqlite3.Connection, v: str, facets: Sequence[str], total: int,
                      hit_ids: NDArray[np.int64] | None = None) -> Facets:
        """Facet counts over ``temp.page_hits``.

        Few hits: SQLite walks the hits' facet rows. Many (``FACETS_IN_MEMORY``
        or more, e.g. a one-word search): counted in memory from this
        process's copy of the facet rows (``_FacetIndex``, one pass over all
        of them), which SQLite would otherwise join and group row by row.
        """
        n_docs, gen = conn.execute(f"SELECT n, gen FROM {v}_stats").fetchone()
        if total >= FACETS_IN_MEMORY:
            index = self._facet_index(conn, v, tuple(facets), gen)
            ids = hit_ids if hit_ids is not None else np.fromiter(
                (r[0] for r in conn.execute("SELECT id FROM temp.page_hits")), np.int64, total)
            return index.counts(ids)
        marks = ", ".join("?" for _ in facets)
        counts: Facets = {f: [] for f in facets}
        for field, value, count in conn.execute(
                f"SELECT k.field, k.value, count(*) AS c FROM temp.page_hits h CROSS JOIN {v}_kv k ON h.id = k.id "
                f"WHERE k.field IN ({marks}) GROUP BY k.field, k.value ORDER BY k.field, c DESC, k.value", list(facets)):
            if len(counts[field]) < FACET_SIZE:
                counts[field].append(FacetValue(value, count))
        return counts

    def _facet_index(self, conn: sqlite3.Connection, v: str, facets: tuple[str, ...], gen: int) -> _FacetIndex:
        key = f"{v}:{','.join(facets)}"
        with self._vec_lock:
            cached = self._facet_cache.get(key)
            if cached is None or cached.gen != gen:
                cached = _FacetIndex.load(conn, v, facets, gen)
                # only the live versions are kept (patents and needs)
                self._facet_cache = {k: c for k, c in self._facet_cache.items() if k.split(":")[0][0] != v[0]}
                self._facet_cache[key] = cached
            return cached

    def warm(self) -> None:
        """Also the patents' vector matrix, sort keys and facet index (a process keeps one matrix, and a web
        process mostly searches patents): at 100,000 patents the first one-word search loaded them."""
        super().warm()
        with self._tx() as conn:
            v = self._alias(conn, "patents")
            if v is None:
                return
            gen = conn.execute(f"SELECT gen FROM {v}_stats").fetchone()[0]
            self._matrix(conn, v)
            self._sort_keys(conn, v)
            self._facet_index(conn, v, tuple(PATENT_FACETS), gen)

    def _sort_keys(self, conn: sqlite3.Connection, v: str) -> _SortKeys:
        gen = conn.execute(f"SELECT gen FROM {v}_stats").fetchone()[0]
        with self._vec_lock:
            cached = self._sort_cache
            if cached is None or cached.version != v or cached.gen != gen:
                cached = self._sort_cache = _SortKeys.load(conn, v, gen)
            return cached

    def _patent_page(self, plan: SearchPlan) -> tuple[Candidates, int, Facets]:
        has_q = bool(plan.query.units)
        rel = "h.s DESC, h.id" if has_q else "h.k1 DESC NULLS LAST, h.id DESC"
        order = {
            "relevance": rel,
            "application_date_desc": "h.k1 DESC NULLS LAST, h.id",
            "application_date_asc": "h.k1 ASC NULLS LAST, h.id",
            "grade": f"h.k2, {rel}",
        }[plan.sort]
        with self._tx() as conn:
            v = self._alias(conn, "patents")
            if v is None:
                return [], 0, {f: [] for f in PATENT_FACETS}
            rows, total, facets = self._page(conn, v, plan, _PW, [], [], PATENT_FACETS, order,
                                             "d.app_date, d.grade_rank", sort_keys=True)
        return rows, total, facets

    def _need_page(self, plan: SearchPlan, today: date) -> tuple[NeedCandidates, int, Facets]:
        has_q = bool(plan.query.units)
        order = "h.s DESC, h.id" if has_q and plan.sort == "relevance" else "h.id DESC"
        with self._tx() as conn:
            v = self._alias(conn, "needs")
            if v is None:
                return [], 0, {f: [] for f in NEED_FACETS}
            rows, total, facets = self._page(
                conn, v, plan, _NW, ["d.public = 1", "(d.valid_until IS NULL OR d.valid_until >= ?)"],
                [today.isoformat()], NEED_FACETS, order, "NULL, NULL")
        return rows, total, facets

    def _candidates(self, name: str, columns: tuple[str, ...], weights: dict[str, float], groups: TermGroups,
                    pools: Sequence[tuple[Sequence[str], int]], extra: str = "",
                    extra_params: Sequence[object] = ()) -> list[list[tuple[Any, float]]]:
        """Per (segments, k) of ``pools``: the top k by Σ group weight × BM25F(group terms) (within the segments).

        ``extra``: SQL selecting the ids allowed (``{v}`` = live version).

        Candidates are the union of each group's top-k by its selective terms
        (FTS5); every candidate is then scored in Python with all terms by
        BM25F as Elasticsearch's ``combined_fields`` computes it — FTS5 cannot
        score a given set of rows without evaluating the whole OR query. The
        pools share each group's ranked FTS5 walk (the costly part: FTS5 scores
        every row the OR query matches before returning the first) and the
        scoring of their candidates; each pool's result is what it alone gives.
        """
        groups = tuple((terms, w) for terms, w in groups if terms)
        with self._tx() as conn:
            v = self._alias(conn, name)
            if v is None or not groups:
                return [[] for _ in pools]
            allowed = [self._allowed(conn, v, segments, extra, extra_params) for segments, _ in pools]
            bm25 = q.bm25_call(f"{v}_fts", [weights[c] for c in columns])
            df = self._doc_freqs(conn, v, groups)
            ids: list[dict[int, None]] = [{} for _ in pools]
            for terms, _ in selective_groups(groups, df, self._n_docs(conn, v)):
                cursor = conn.execute(f"SELECT f.rowid, -{bm25} AS s FROM {v}_fts f WHERE {v}_fts MATCH ? "
                                      f"ORDER BY s DESC, f.rowid", [q.any_expression(terms)])
                wanted = [k for _, k in pools]  # still to take, per pool
                for rowid, _ in cursor:
                    for j, ok in enumerate(allowed):
                        if wanted[j] and (ok is None or rowid in ok):
                            ids[j][rowid] = None
                            wanted[j] -= 1
                    if not any(wanted):
                        break
                cursor.close()
            union = list(dict.fromkeys(i for chosen in ids for i in chosen))
            if not union:
                return [[] for _ in pools]
            marks = ", ".join("?" for _ in union)
            texts = conn.execute(f"SELECT rowid, {', '.join(columns)} FROM {v}_fts WHERE rowid IN ({marks})",
                                 union).fetchall()
            n_docs, total = conn.execute(f"SELECT n, total FROM {v}_stats").fetchone()
            scored = bm25f(texts, columns, weights, groups, df, n_docs, total / max(n_docs, 1))
            tops = [sorted(((i, scored[i]) for i in chosen if i in scored), key=lambda r: (-r[1], r[0]))[:k]
                    for chosen, (_, k) in zip(ids, pools)]
            by_id = self._documents(conn, v, list(dict.fromkeys(i for top in tops for i, _ in top)))
        return [[(by_id[i], s) for i, s in top if i in by_id] for top in tops]

    def _allowed(self, conn: sqlite3.Connection, v: str, segments: Sequence[str], extra: str,
                 extra_params: Sequence[object]) -> frozenset[int] | None:
        """Ids passing the filters, or None for no filter.

        Computed up front and applied while walking the ranked FTS5 rows: a
        ``rowid IN (subquery)`` next to MATCH makes SQLite run the whole OR
        query once per candidate row. Kept per version and generation (any
        write bumps it): the "not expired" filter reads every need's row, most
        of a push's ranking time when computed for each of a patent's pools.
        """
        if not segments and not extra:
            return None
        gen = conn.execute(f"SELECT gen FROM {v}_stats").fetchone()[0]
        key = (v, gen, tuple(segments), extra, tuple(extra_params))
        with self._vec_lock:
            cached = self._allowed_cache.get(key)
        if cached is not None:
            return cached
        allowed: set[int] | None = None
        if segments:
            marks = ", ".join("?" for _ in segments)
            allowed = {r[0] for r in conn.execute(
                f"SELECT id FROM {v}_kv WHERE field = 'segment' AND value IN ({marks})", list(segments))}
        if extra:
            ids = {r[0] for r in conn.execute(extra.replace("{v}", v), list(extra_params))}
            allowed = ids if allowed is None else allowed & ids
        found = frozenset(allowed or ())
        with self._vec_lock:  # only this generation of each version is kept, and a bounded number of filters
            kept = {k: c for k, c in self._allowed_cache.items() if k[0] != v or k[1] == gen}
            self._allowed_cache = kept if len(kept) < ALLOWED_CACHE else {}
            self._allowed_cache[key] = found
        return found

    @staticmethod
    def _n_docs(conn: sqlite3.Connection, v: str) -> int:
        n: int = conn.execute(f"SELECT n FROM {v}_stats").fetchone()[0]
        return n

    @staticmethod
    def _doc_freqs(conn: sqlite3.Connection, v: str, groups: TermGroups) -> dict[str, int]:
        terms = list(dict.fromkeys(t for ts, _ in groups for t in ts))
        marks = ", ".join("?" for _ in terms)
        return dict(conn.execute(f"SELECT term, doc FROM {v}_vocab WHERE term IN ({marks})", terms).fetchall())

    # ---- vectors ---------------------------------------------------------------
    def _matrix(self, conn: sqlite3.Connection, v: str) -> _Vectors:
        """This process's copy of the version's vectors, brought up to date incrementally."""
        gen, n_docs = conn.execute(f"SELECT gen, n FROM {v}_stats").fetchone()
        with self._vec_lock:
            cached = self._vectors.get(v)
            if cached is not None and cached.gen == gen:
                return cached
            if cached is None:
                cached = _Vectors.load(conn, f"{v}_vec", gen)
            else:
                rows = conn.execute(f"SELECT id, vec FROM {v}_vec WHERE gen > ?", (cached.gen,)).fetchall()
                cached = cached.updated(rows, gen)
                stored = conn.execute(f"SELECT count(*) FROM {v}_vec").fetchone()[0]
                if stored != len(cached.ids):  # deletions: reload
                    cached = _Vectors.load(conn, f"{v}_vec", gen)
            self._vectors = {v: cached}  # only the live version is kept
            return cached

    def _knn(self, name: str, vector: F32, pools: Sequence[tuple[Sequence[str], int]], extra: str = "",
             extra_params: Sequence[object] = ()) -> list[list[tuple[Any, float]]]:
        """Per (segments, k) of ``pools``: the top k by cosine (within the segments); one product for all."""
        with self._tx() as conn:
            v = self._alias(conn, name)
            if v is None:
                return [[] for _ in pools]
            vecs = self._matrix(conn, v)
            if not len(vecs.ids):
                return [[] for _ in pools]
            scores = vecs.scores(vector)
            tops = [vecs.top(scores, k, self._allowed(conn, v, segments, extra, extra_params))
                    for segments, k in pools]
            docs = self._documents(conn, v, list(dict.fromkeys(i for top in tops for i, _ in top)))
        return [[(docs[i], s) for i, s in top if i in docs] for top in tops]

    def _patent_knn(self, vector: F32, segments: Sequence[str], k: int) -> Candidates:
        return self._knn("patents", vector, [(segments, k)])[0]

    def _patent_retrieval(self, groups: TermGroups, vector: F32, segments: Sequence[str],
                          mode: str) -> tuple[Candidates, Candidates]:
        """As the base class, with the general and the same-segment vector pools from one product."""
        lexical = self._patent_pools(groups, segments) if mode != "semantic" else []
        semantic: Candidates = []
        if mode != "lexical" and vector.any():
            pools = [((), POOL), *([(segments, SEGMENT_POOL)] if segments else [])]
            semantic = merge_pools(*self._knn("patents", vector, pools))
        return lexical, semantic

    def _need_knn(self, vector: F32, segments: Sequence[str], k: int, today: date) -> NeedCandidates:
        extra = "SELECT id FROM {v}_docs WHERE valid_until IS NULL OR valid_until >= ?"
        return self._knn("needs", vector, [(segments, k)], extra, [today.isoformat()])[0]

    def _patent_candidates(self, groups: TermGroups, segments: Sequence[str], k: int) -> Candidates:
        return self._candidates("patents", q.PATENT_COLUMNS, PATENT_TEXT_FIELDS, groups, [(segments, k)])[0]

    def _patent_pools(self, groups: TermGroups, segments: Sequence[str]) -> Candidates:
        """As the base class, with the general and the same-segment pools from the same FTS5 walks."""
        pools = [((), POOL), *([(segments, SEGMENT_POOL)] if segments else [])]
        return merge_pools(*self._candidates("patents", q.PATENT_COLUMNS, PATENT_TEXT_FIELDS, groups, pools))

    def _need_candidates(self, groups: TermGroups, segments: Sequence[str], k: int, today: date) -> NeedCandidates:
        return self._need_lexical(groups, [(segments, k)], today)[0]

    def _need_pools(self, groups: TermGroups, segments: Sequence[str], today: date) -> NeedCandidates:
        """As the base class, with the general and the same-segment pools from the same FTS5 walks (each
        walk and BM25F pass was a quarter of a push job's ranking when the two pools made their own)."""
        pools = [((), POOL), *([(segments, SEGMENT_POOL)] if segments else [])]
        return merge_pools(*self._need_lexical(groups, pools, today))

    def _need_lexical(self, groups: TermGroups, pools: Sequence[tuple[Sequence[str], int]],
                      today: date) -> list[NeedCandidates]:
        # Expired needs are filtered in SQL so that they do not take pool slots.
        extra = "SELECT id FROM {v}_docs WHERE valid_until IS NULL OR valid_until >= ?"
        return self._candidates("needs", q.NEED_COLUMNS, NEED_TEXT_FIELDS, groups, pools, extra, [today.isoformat()])



@dataclass(frozen=True)
class _Vectors:
    """An in-memory matrix of unit vectors (float32) and their document ids; exact top-k by dot product.

    Exact search over a contiguous matrix: at 100,000 × 256 one product is a
    few milliseconds, so no approximate index (hnswlib, usearch, sqlite-vec)
    is needed at this scale; see bench/match_speed for the measurements.
    """

    ids: NDArray[np.int64]
    matrix: F32
    gen: int
    # Row positions of each filter's ids (the filters come from ``_allowed``'s cache, so the same
    # frozensets recur): found once per filter instead of an ``np.isin`` over every row per search.
    positions: dict[frozenset[int], NDArray[np.intp]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, conn: sqlite3.Connection, table: str, gen: int) -> _Vectors:
        """Every (id, float16 bytes) row of ``table`` (read in the caller's transaction) in a matrix allocated once
        and filled a block at a time. Fetching all 100,000 rows at once left ~100 MiB of freed small objects that
        the allocator kept, and concatenating float32 blocks held the matrix twice at the peak, ~40 MiB of which
        the process kept (bench/web_memory.py: the web process's RSS)."""
        count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        ids = np.empty(count, np.int64)
        matrix: F32 | None = None
        rows, filled = conn.execute(f"SELECT id, vec FROM {table}"), 0
        while chunk := rows.fetchmany(VECTOR_BLOCK):
            half = np.frombuffer(b"".join(r[1] for r in chunk), np.float16).reshape(len(chunk), -1)
            if matrix is None:
                matrix = np.empty((count, half.shape[1]), np.float32)
            matrix[filled:filled + len(chunk)] = half
            ids[filled:filled + len(chunk)] = [r[0] for r in chunk]
            filled += len(chunk)
        if matrix is None:
            return cls(np.zeros(0, np.int64), np.zeros((0, 0), np.float32), gen)
        return cls(ids, matrix, gen)

    def updated(self, rows: list[tuple[int, bytes]], gen: int) -> _Vectors:
        if not rows:
            return _Vectors(self.ids, self.matrix, gen, self.positions)
        fresh = {i: from_bytes(b) for i, b in rows}
        keep = ~np.isin(self.ids, np.fromiter(fresh, np.int64, len(fresh)))
        ids = np.concatenate([self.ids[keep], np.fromiter(fresh, np.int64, len(fresh))])
        added = np.stack(list(fresh.values()))
        matrix = np.concatenate([self.matrix[keep], added]) if len(self.matrix) else added
        return _Vectors(ids, np.ascontiguousarray(matrix, np.float32), gen)

    def scores(self, vector: F32) -> F32:
        out: F32 = self.matrix @ vector.astype(np.float32)
        return out

    def top(self, scores: F32, k: int, allowed: frozenset[int] | None) -> list[tuple[int, float]]:
        """The k best of ``scores`` (this matrix's products with a vector), among ``allowed`` ids."""
        rows = self._rows(allowed)
        if rows is not None:
            scores = scores[rows]
        k = min(k, len(scores))
        if k == 0:
            return []
        idx = np.argpartition(-scores, k - 1)[:k]
        if rows is not None:
            scores, idx = scores[idx], rows[idx]
        else:
            scores = scores[idx]
        order = np.lexsort((self.ids[idx], -scores))
        return [(int(self.ids[idx[i]]), float(scores[i])) for i in order]

    def _rows(self, allowed: frozenset[int] | None) -> NDArray[np.intp] | None:
        """Positions of the ``allowed`` ids among this matrix's rows (None: every row)."""
        if allowed is None:
            return None
        rows = self.positions.get(allowed)
        if rows is None:
            wanted = np.fromiter(allowed, np.int64, len(allowed))
            rows = np.flatnonzero(np.isin(self.ids, wanted))
            if len(self.positions) >= ALLOWED_CACHE:
                self.positions.clear()
            self.positions[allowed] = rows
        return rows


class _Row(NamedTuple):
    """One analysed document, ready to write; ``doc`` None: not indexed (only deleted)."""

    id: int
    doc: str | None = None
    vec: bytes | None = None
    extra: tuple[Any, ...] = ()
    wlen: float = 0.0
    facets: tuple[tuple[str, str], ...] = ()
    text: tuple[str, ...] = ()
    made: Analysis | None = None  # the analysis made for this row (the document had no current one)


def _vector_bytes(packed: str | None) -> bytes | None:
    """The stored float16 bytes of a packed vector; None for none or all zeros."""
    if not packed:
        return None
    raw = base64.b64decode(packed)
    return raw if np.frombuffer(raw, np.float16).any() else None


def _patent_rows(state: tuple[EmbeddedBackend, tuple[str, ...]], docs: list[PatentDoc]) -> list[_Row]:
    """Analysis of a chunk of patents (runs in worker processes for bulk loads): listable ones indexed."""
    backend, order = state
    out = []
    for doc in docs:
        if not doc.matchable:
            out.append(_Row(doc.id))
            continue
        doc = backend.with_vector(doc)
        text, made = analysed(doc, backend.analyzer)
        out.append(_Row(
            doc.id, orjson.dumps(doc.to_dict()).decode(), _vector_bytes(doc.vector),
            (doc.application_date.isoformat() if doc.application_date else None, grade_rank(doc.grade, order)),
            sum(PATENT_TEXT_FIELDS[c] * len(text[c].split()) for c in q.PATENT_COLUMNS),
            tuple((f, val) for f, vals in patent_facets(doc).items() for val in vals),
            tuple(text[c] for c in q.PATENT_COLUMNS), made))
    return out


def _need_rows(backend: EmbeddedBackend, docs: list[NeedDoc]) -> list[_Row]:
    """Analysis of a chunk of needs: open ones indexed."""
    out = []
    for doc in docs:
        if doc.status != "open":
            out.append(_Row(doc.id))
            continue
        doc = backend.with_vector(doc)
        text, made = analysed(doc, backend.analyzer)
        out.append(_Row(
            doc.id, orjson.dumps(doc.to_dict()).decode(), _vector_bytes(doc.vector),
            (int(doc.public), doc.valid_until.isoformat() if doc.valid_until else None),
            sum(NEED_TEXT_FIELDS[c] * len(text[c].split()) for c in q.NEED_COLUMNS),
            tuple((f, val) for f, vals in need_facets(doc).items() for val in vals),
            tuple(text[c] for c in q.NEED_COLUMNS), made))
    return out


@dataclass(frozen=True)
class _SortKeys:
    """Application date and grade rank of every patent of one index version, by id: sorting a large
    hit set by them in numpy orders it exactly as ``_patent_page``'s SQL ``ORDER BY`` (about 24 bytes
    per patent)."""

    version: str
    gen: int
    ids: NDArray[np.int64]    # ascending
    date: NDArray[np.int64]   # YYYYMMDD; -1 for none
    grade: NDArray[np.int64]

    @classmethod
    def load(cls, conn: sqlite3.Connection, v: str, gen: int) -> _SortKeys:
        rows = conn.execute(f"SELECT id, app_date, grade_rank FROM {v}_docs ORDER BY id").fetchall()
        n = len(rows)
        return cls(v, gen, np.fromiter((r[0] for r in rows), np.int64, n),
                   np.fromiter((int(r[1].replace("-", "")) if r[1] else -1 for r in rows), np.int64, n),
                   np.fromiter((r[2] for r in rows), np.int64, n))

    def page(self, hits: Sequence[tuple[int, float]], plan: SearchPlan) -> list[int]:
        """Positions in ``hits`` ((id, score) pairs) of the plan's page, in the plan's order."""
        ids = np.fromiter((h[0] for h in hits), np.int64, len(hits))
        at = np.searchsorted(self.ids, ids)
        date, grade = self.date[at], self.grade[at]
        undated = date < 0
        # np.lexsort: the last key is the first criterion
        if plan.sort == "application_date_asc":
            keys: tuple[NDArray[Any], ...] = (ids, date, undated)
        elif plan.sort == "application_date_desc":
            keys = (ids, -date, undated)
        elif plan.query.units:  # relevance, then id
            keys = (ids, -np.fromiter((h[1] for h in hits), np.float64, len(hits)))
        else:  # newest first, then the highest id
            keys = (-ids, -date, undated)
        if plan.sort == "grade":
            keys = (*keys, grade)
        order = np.lexsort(keys)
        return [int(i) for i in order[plan.offset:plan.offset + plan.per_page]]


@dataclass(frozen=True)
class _FacetIndex:
    """The facet rows of one index version, as arrays: counting a large hit set is one ``bincount``.

    About 12 bytes per facet row (1.2 MiB per 100,000 rows). Counts and their
    order equal the SQL ``GROUP BY``: count descending, then value (code
    point order = SQLite's binary UTF-8 order).
    """

    gen: int
    doc: NDArray[np.int64]              # document id of each facet row
    code: NDArray[np.int32]             # its (field, value) number
    values: tuple[str, ...]             # number -> value
    by_field: dict[str, NDArray[np.int64]]  # field -> its numbers, ordered by value

    @classmethod
    def load(cls, conn: sqlite3.Connection, v: str, facets: Sequence[str], gen: int) -> _FacetIndex:
        """Two scans of the (field, value, id) index in one read transaction: the distinct values with
        their row counts, then the ids in the same order (a value's number repeats count times)."""
        marks = ", ".join("?" for _ in facets)
        groups = conn.execute(f"SELECT field, value, count(*) FROM {v}_kv WHERE field IN ({marks}) "
                              f"GROUP BY field, value ORDER BY field, value", list(facets)).fetchall()
        sizes = np.fromiter((g[2] for g in groups), np.int64, len(groups))
        total = int(sizes.sum())
        docs = np.fromiter((r[0] for r in conn.execute(
            f"SELECT id FROM {v}_kv WHERE field IN ({marks}) ORDER BY field, value", list(facets))), np.int64, total)
        by_field: dict[str, list[int]] = {f: [] for f in facets}
        for number, (field, _, _) in enumerate(groups):
            by_field[field].append(number)
        return cls(gen, docs, np.repeat(np.arange(len(groups), dtype=np.int32), sizes), tuple(g[1] for g in groups),
                   {f: np.asarray(ns, np.int64) for f, ns in by_field.items()})

    def counts(self, ids: NDArray[np.int64]) -> Facets:
        if not len(ids) or not len(self.doc):
            return {f: [] for f in self.by_field}
        top = int(max(self.doc.max(), ids.max())) + 1
        if top <= 8 * (len(self.doc) + len(ids)) + 1_000_000:
            present = np.zeros(top, bool)
            present[ids] = True
            hit = present[self.doc]
        else:  # sparse ids: a dense table would be too large
            hit = np.isin(self.doc, ids)
        tally = np.bincount(self.code[hit], minlength=len(self.values))
        out: Facets = {}
        for field, numbers in self.by_field.items():
            counted = tally[numbers]
            keep = counted > 0
            numbers, counted = numbers[keep], counted[keep]
            order = np.argsort(-counted, kind="stable")[:FACET_SIZE]  # ties stay in value order
            out[field] = [FacetValue(self.values[numbers[i]], int(counted[i])) for i in order]
        return out
