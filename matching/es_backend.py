"""Elasticsearch backend (production, used when ES_URL is set).

Indices are versioned behind aliases: ``<prefix>-patents-v<ns>`` with alias
``<prefix>-patents`` (same for needs). ``rebuild`` loads fresh indices and
moves both aliases in one ``_aliases`` call, then deletes the old indices,
so searches never hit an empty or half-loaded index. All client errors are
translated to ``SearchUnavailable`` (cannot reach / overloaded) or
``SearchError`` (request rejected).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from typing import Any

import orjson

from matching import es_queries as esq
from matching.bm25 import selective_groups
from matching.backend import (
    FACET_SIZE, POOL, SEGMENT_POOL, AnalysisSink, Candidates, Facets, NeedCandidates, SearchBackend, merge_pools,
)
from matching.semantic import F32, unpack
from matching.documents import Analysis, NeedDoc, PatentDoc
from matching.errors import SearchError, SearchUnavailable
from matching.fields import (
    NEED_TEXT_FIELDS, PATENT_TEXT_FIELDS, TermGroups, analysed, grade_rank, need_facets, patent_facets,
)
from matching.parallel import map_chunks
from matching.querying import SearchPlan
from matching.results import FacetValue, RebuildReport
from matching.scoring import Weights
from matching.text import Analyzer

BULK_CHUNK = 500
# Without a configured shard count, a rebuild loads this many patents or more into two primary shards: two HNSW
# graphs of half the size cost less to build and to merge (100,000 patents, 2 cores: `flask reindex` 1,640 ->
# 1,890 docs/s, the merge 12.9 -> 5.5 s, need -> top-20 latency the same). Below it, one shard keeps the
# search page's BM25 statistics exact; the match ranking never uses them (it is recomputed from the evidence).
TWO_SHARDS_FROM = 50_000
# Document frequencies only choose which terms find match candidates, never
# how candidates score, so a few minutes' staleness is harmless.
DF_TTL = 300.0
DF_MAX_TERMS = 100_000
# A bulk body (NDJSON) and the analyses made while building it (document id, analysis).
_Body = tuple[bytes, list[tuple[int, Analysis]]]
# Seconds a rebuild waits for its force merge (about 2 minutes per 100,000 patents on two busy cores).
MERGE_TIMEOUT = 3600


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, url: str, analyzer: Analyzer, weights: Weights | None = None,
                 index_prefix: str = "patentmkt", *, shards: int | None = None, replicas: int = 0,
                 **es_options: Any) -> None:
        super().__init__(analyzer, weights)
        self.url = url
        self.prefix = index_prefix
        # Index layout (``ES_SHARDS`` / ``ES_REPLICAS``): a rebuild loads with no replica and adds them at the end.
        # No shard count given: one, and a rebuild sizes the patents' by the live index (``_rebuild_shards``).
        self.shards, self.replicas = shards, replicas
        self.patent_alias = f"{index_prefix}-patents"
        self.need_alias = f"{index_prefix}-needs"
        self._options = {"request_timeout": 10, "max_retries": 1, "retry_on_timeout": False, **es_options}
        self._client: Any = None
        # alias -> (expires at, documents with text, term -> document frequency)
        self._df: dict[str, tuple[float, int, dict[str, int]]] = {}

    @property
    def client(self) -> Any:
        """The elasticsearch client, created on first use (never at import)."""
        if self._client is None:
            from elasticsearch import Elasticsearch
            from elasticsearch.serializer import OrjsonSerializer  # answers of ~100 documents decode faster

            self._client = Elasticsearch(self.url, serializer=OrjsonSerializer(), **self._options)
        return self._client

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        import elastic_transport
        from elasticsearch import ApiError

        try:
            yield
        except (elastic_transport.TransportError, ConnectionError, TimeoutError) as exc:
            raise SearchUnavailable(f"elasticsearch {what}: {exc.__class__.__name__}: {exc}") from exc
        except ApiError as exc:
            if exc.meta.status in (429, 502, 503, 504):
                raise SearchUnavailable(f"elasticsearch {what}: HTTP {exc.meta.status}") from exc
            raise SearchError(f"elasticsearch {what}: HTTP {exc.meta.status}: {exc.message}") from exc

    # ---- documents -----------------------------------------------------------
    def _patent_bodies(self, index: str, docs: Iterable[PatentDoc]) -> Iterator[_Body]:
        self.embedder.dim  # load the table before analysis workers fork: they inherit it
        return map_chunks(patent_bulk_body, (index, self, self.weights.grade_order), docs, BULK_CHUNK)

    def _need_bodies(self, index: str, docs: Iterable[NeedDoc]) -> Iterator[_Body]:
        return map_chunks(need_bulk_body, (index, self), docs, BULK_CHUNK)

    def __getstate__(self) -> dict[str, Any]:
        # Worker processes (spawn platforms) get the backend without its client.
        state = self.__dict__.copy()
        state["_client"] = None
        return state

    def _bulk(self, bodies: Iterable[_Body], keep: AnalysisSink | None, kind: str) -> int:
        """Send NDJSON bulk bodies, two requests in flight, so Elasticsearch
        indexes one chunk while the next is analysed and sent; ``keep`` is told the analyses each made."""
        count = 0
        failures: list[dict[str, Any]] = []

        def collect(sent: Future[Any]) -> None:
            nonlocal count
            for item in sent.result().body["items"]:
                (op, result), = item.items()
                status = result.get("status", 500)
                if 200 <= status < 300 or (status == 404 and op == "delete"):
                    count += 1
                else:
                    failures.append(item)

        with ThreadPoolExecutor(2) as senders:
            pending: deque[Future[Any]] = deque()
            for body, made in bodies:
                if keep is not None and made:
                    keep(kind, made)
                pending.append(senders.submit(self.client.bulk, operations=body))
                if len(pending) >= 2:
                    collect(pending.popleft())
            while pending:
                collect(pending.popleft())
        if failures:
            raise SearchError(f"elasticsearch bulk: {len(failures)} documents failed, first: {failures[0]}")
        return count

    # ---- storage -----------------------------------------------------------
    def _new_index(self, alias: str, body_factory: Callable[[int], dict[str, Any]], bulk_load: bool = False,
                   shards: int | None = None) -> str:
        name = f"{alias}-v{time.time_ns()}"
        body = body_factory(self.embedder.dim)
        body["settings"].update(number_of_shards=shards or self.shards or 1,
                                number_of_replicas=0 if bulk_load else self.replicas)
        if bulk_load:
            # Nobody searches the index until the alias swap: no refreshes, and merges at full speed. With merge
            # auto-throttling on, a rebuild whose documents arrive at the database's pace had its final merge
            # paused by the rate limiter for most of its time (100,000 patents: 90-109 s instead of 13).
            body["settings"].update({"refresh_interval": "-1", "merge.scheduler.auto_throttle": False})
        self.client.indices.create(index=name, settings=body["settings"], mappings=body["mappings"])
        return name

    def _current(self, alias: str) -> list[str]:
        from elasticsearch import NotFoundError

        try:
            return sorted(self.client.indices.get_alias(name=alias).body)
        except NotFoundError:
            return []

    def ensure_indices(self) -> None:
        with self._guard("ensure_indices"):
            for alias, body in ((self.patent_alias, esq.patent_index_body), (self.need_alias, esq.need_index_body)):
                if self._current(alias):
                    continue
                index = self._new_index(alias, body)
                self.client.indices.update_aliases(actions=[{"add": {"index": index, "alias": alias}}])
                # Two processes racing here would both add an index: keep the oldest.
                extra = self._current(alias)[1:]
                if extra:
                    self.client.indices.update_aliases(actions=[{"remove": {"index": i, "alias": alias}} for i in extra])
                    self.client.indices.delete(index=",".join(extra), ignore_unavailable=True)

    def index_patents(self, docs: Iterable[PatentDoc], keep: AnalysisSink | None = None) -> int:
        self.ensure_indices()
        with self._guard("index_patents"):
            return self._bulk(self._patent_bodies(self.patent_alias, docs), keep, "patent")

    def index_needs(self, docs: Iterable[NeedDoc], keep: AnalysisSink | None = None) -> int:
        self.ensure_indices()
        with self._guard("index_needs"):
            return self._bulk(self._need_bodies(self.need_alias, docs), keep, "need")

    def _delete(self, alias: str, doc_id: int) -> None:
        from elasticsearch import NotFoundError

        with self._guard("delete"):
            try:
                self.client.delete(index=alias, id=str(doc_id))
            except NotFoundError:
                pass

    def delete_patent(self, patent_id: int) -> None:
        self._delete(self.patent_alias, patent_id)

    def delete_need(self, need_id: int) -> None:
        self._delete(self.need_alias, need_id)

    def rebuild(self, patents: Iterable[PatentDoc], needs: Iterable[NeedDoc],
                keep: AnalysisSink | None = None) -> RebuildReport:
        started = time.perf_counter()
        with self._guard("rebuild"):
            new_p = self._new_index(self.patent_alias, esq.patent_index_body, bulk_load=True,
                                    shards=self._rebuild_shards())
            new_n = self._new_index(self.need_alias, esq.need_index_body, bulk_load=True)
            try:
                n_pat = self._bulk(self._patent_bodies(new_p, patents), keep, "patent")
                # The patents' merge (one thread on the node) runs while the needs are read and loaded. Not
                # awaited on failure: deleting the index below ends it (at 1,000,000 patents it takes minutes).
                merger = ThreadPoolExecutor(1)
                try:
                    patents_merged = merger.submit(self._merge, new_p)
                    n_need = self._bulk(self._need_bodies(new_n, needs), keep, "need")
                    self._merge(new_n)
                    patents_merged.result()
                finally:
                    merger.shutdown(wait=False)
                self.client.indices.put_settings(index=f"{new_p},{new_n}", settings={
                    "refresh_interval": "1s", "number_of_replicas": self.replicas,
                    "merge.scheduler.auto_throttle": None})  # back to the default for live writes
            except BaseException:
                self.client.indices.delete(index=f"{new_p},{new_n}", ignore_unavailable=True)
                raise
            old_p, old_n = self._current(self.patent_alias), self._current(self.need_alias)
            actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": self.patent_alias}} for i in old_p]
            actions += [{"remove": {"index": i, "alias": self.need_alias}} for i in old_n]
            actions += [{"add": {"index": new_p, "alias": self.patent_alias}},
                        {"add": {"index": new_n, "alias": self.need_alias}}]
            self.client.indices.update_aliases(actions=actions)
            self._df.clear()
            if old_p or old_n:
                self.client.indices.delete(index=",".join(old_p + old_n), ignore_unavailable=True)
        return RebuildReport(n_pat, n_need, new_p, new_n, time.perf_counter() - started)

    def _rebuild_shards(self) -> int:
        """The patents' primary shards for a rebuild: as configured, else two once the live index holds
        ``TWO_SHARDS_FROM`` patents."""
        from elasticsearch import NotFoundError

        if self.shards:
            return self.shards
        try:
            live = int(self.client.count(index=self.patent_alias).body["count"])
        except NotFoundError:
            live = 0
        return 2 if live >= TWO_SHARDS_FROM else 1

    def _merge(self, index: str) -> None:
        """Merge a freshly loaded index to one segment per shard, before replicas copy it.

        A bulk load leaves a score of segments; every search then builds its
        scorers and walks an HNSW graph once per segment. At 100,000 patents one
        segment about halves the lexical candidate searches (server p95 170–226 → 79–98 ms at load 8).

        A flush first: the index keeps each document's original body as
        ``_recovery_source`` (its ``_source`` leaves out the token fields and
        the vector) until a merge finds it no longer needed, and only flushed
        operations are. The one segment then never merges again, so without
        the flush half of the index was that copy for good (100,000 patents:
        652 → 358 MB, the flush 0.5 s, the merge as long).
        """
        self.client.indices.refresh(index=index)
        self.client.indices.flush(index=index)
        self.client.options(request_timeout=MERGE_TIMEOUT).indices.forcemerge(index=index, max_num_segments=1)

    def refresh(self) -> None:
        with self._guard("refresh"):
            self.client.indices.refresh(index=f"{self.patent_alias},{self.need_alias}", ignore_unavailable=True)

    def ping(self) -> bool:
        try:
            with self._guard("ping"):
                return bool(self.client.ping())
        except (SearchUnavailable, SearchError):
            return False

    def drop(self) -> None:
        self._df.clear()
        with self._guard("drop"):
            names = self.client.indices.get(index=f"{self.patent_alias}-v*,{self.need_alias}-v*",
                                            allow_no_indices=True, expand_wildcards="all").body
            if names:
                self.client.indices.delete(index=",".join(sorted(names)), ignore_unavailable=True)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ---- retrieval -----------------------------------------------------------
    def _run(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        from elasticsearch import NotFoundError

        with self._guard("search"):
            try:
                body_out: dict[str, Any] = self.client.search(index=index, body=body).body
                return body_out
            except NotFoundError:  # no index yet: nothing indexed
                return {"hits": {"hits": [], "total": {"value": 0}}, "aggregations": {}}

    @staticmethod
    def _facets(resp: dict[str, Any], names: Sequence[str]) -> Facets:
        aggs = resp.get("aggregations", {})
        return {n: [FacetValue(str(b["key"]), b["doc_count"]) for b in aggs.get(n, {}).get("buckets", [])]
                for n in names}

    def _patent_page(self, plan: SearchPlan) -> tuple[Candidates, int, Facets]:
        from matching.fields import PATENT_FACETS

        resp = self._run(self.patent_alias, esq.patent_search(plan, FACET_SIZE))
        hits = [(PatentDoc.from_dict(h["_source"]["doc"]), float(h.get("_score") or 0.0)) for h in resp["hits"]["hits"]]
        return hits, resp["hits"]["total"]["value"], self._facets(resp, PATENT_FACETS)

    def _need_page(self, plan: SearchPlan, today: date) -> tuple[NeedCandidates, int, Facets]:
        from matching.fields import NEED_FACETS

        resp = self._run(self.need_alias, esq.need_search(plan, FACET_SIZE, today))
        hits = [(NeedDoc.from_dict(h["_source"]["doc"]), float(h.get("_score") or 0.0)) for h in resp["hits"]["hits"]]
        return hits, resp["hits"]["total"]["value"], self._facets(resp, NEED_FACETS)

    def _first_stage(self, alias: str, weights: dict[str, float], groups: TermGroups) -> TermGroups:
        """``groups`` reduced to selective terms, from cached document frequencies."""
        from elasticsearch import NotFoundError

        now = time.monotonic()
        expires, n_docs, df = self._df.get(alias) or (0.0, 0, {})
        if expires < now or len(df) > DF_MAX_TERMS:
            expires, n_docs, df = now + DF_TTL, 0, {}
        missing = [t for t in dict.fromkeys(t for terms, _ in groups for t in terms) if t not in df]
        if missing:
            with self._guard("termvectors"):
                try:
                    resp = self.client.termvectors(index=alias, **esq.term_stats_request(missing, weights)).body
                except NotFoundError:  # no index yet
                    return groups
            fresh, n_docs = esq.doc_freqs(resp)
            df.update((t, fresh.get(t, 0)) for t in missing)
        self._df[alias] = (expires, n_docs, df)
        return selective_groups(groups, df, n_docs, keep_absent=True)

    def _patent_candidates(self, groups: TermGroups, segments: Sequence[str], k: int) -> Candidates:
        first = self._first_stage(self.patent_alias, PATENT_TEXT_FIELDS, groups)
        resp = self._run(self.patent_alias, esq.patent_candidates(groups, segments, k, first))
        return [(PatentDoc.from_dict(h["_source"]["doc"]), float(h["_score"])) for h in resp["hits"]["hits"]]

    def _patent_pools(self, groups: TermGroups, segments: Sequence[str]) -> Candidates:
        """Both pools in one ``_msearch`` round trip; the server runs them in parallel."""
        if not segments:
            return self._patent_candidates(groups, (), POOL)
        first = self._first_stage(self.patent_alias, PATENT_TEXT_FIELDS, groups)
        searches: list[dict[str, Any]] = []
        for body in (esq.patent_candidates(groups, (), POOL, first),
                     esq.patent_candidates(groups, segments, SEGMENT_POOL, first)):
            searches += [{"index": self.patent_alias}, body]
        with self._guard("msearch"):
            resp = self.client.msearch(searches=searches).body
        pools = []
        for r in resp["responses"]:
            if "error" in r:
                if r.get("status") == 404:  # no index yet
                    continue
                raise SearchError(f"elasticsearch msearch: {r['error']}")
            pools.append([(PatentDoc.from_dict(h["_source"]["doc"]), float(h["_score"])) for h in r["hits"]["hits"]])
        return merge_pools(*pools)

    def _knn_hits(self, resp: dict[str, Any]) -> list[tuple[dict[str, Any], float]]:
        return [(h["_source"]["doc"], esq.cosine(float(h["_score"]))) for h in resp["hits"]["hits"]]

    def _patent_knn(self, vector: F32, segments: Sequence[str], k: int) -> Candidates:
        resp = self._run(self.patent_alias, esq.patent_knn(vector, segments, k))
        return [(PatentDoc.from_dict(d), s) for d, s in self._knn_hits(resp)]

    def _need_knn(self, vector: F32, segments: Sequence[str], k: int, today: date) -> NeedCandidates:
        resp = self._run(self.need_alias, esq.need_knn(vector, segments, k, today))
        return [(NeedDoc.from_dict(d), s) for d, s in self._knn_hits(resp)]

    def _patent_retrieval(self, groups: TermGroups, vector: F32, segments: Sequence[str],
                          mode: str) -> tuple[Candidates, Candidates]:
        """Every pool (lexical, same-segment lexical, vectors, same-segment vectors) in one ``_msearch``."""
        bodies: list[tuple[str, dict[str, Any]]] = []
        if mode != "semantic" and groups:
            first = self._first_stage(self.patent_alias, PATENT_TEXT_FIELDS, groups)
            bodies.append(("lex", esq.patent_candidates(groups, (), POOL, first)))
            if segments:
                bodies.append(("lex", esq.patent_candidates(groups, segments, SEGMENT_POOL, first)))
        if mode != "lexical" and vector.any():
            bodies.append(("sem", esq.patent_knn(vector, (), POOL)))
            if segments:
                bodies.append(("sem", esq.patent_knn(vector, segments, SEGMENT_POOL)))
        if not bodies:
            return [], []
        searches: list[dict[str, Any]] = []
        for _, body in bodies:
            searches += [{"index": self.patent_alias}, body]
        with self._guard("msearch"):
            resp = self.client.msearch(searches=searches).body
        pools: dict[str, list[Candidates]] = {"lex": [], "sem": []}
        for (kind, _), r in zip(bodies, resp["responses"]):
            if "error" in r:
                if r.get("status") == 404:  # no index yet
                    continue
                raise SearchError(f"elasticsearch msearch: {r['error']}")
            if kind == "lex":
                pools[kind].append([(PatentDoc.from_dict(h["_source"]["doc"]), float(h["_score"]))
                                    for h in r["hits"]["hits"]])
            else:
                pools[kind].append([(PatentDoc.from_dict(d), s) for d, s in self._knn_hits(r)])
        return merge_pools(*pools["lex"]), merge_pools(*pools["sem"])

    def _need_candidates(self, groups: TermGroups, segments: Sequence[str], k: int, today: date) -> NeedCandidates:
        first = self._first_stage(self.need_alias, NEED_TEXT_FIELDS, groups)
        resp = self._run(self.need_alias, esq.need_candidates(groups, segments, k, today, first))
        return [(NeedDoc.from_dict(h["_source"]["doc"]), float(h["_score"])) for h in resp["hits"]["hits"]]


# ---- bulk bodies (module level: they run in analysis worker processes) ----------
def _vector(packed: str | None) -> list[int] | None:
    return esq.byte_vector(unpack(packed)) if packed else None


def patent_source(doc: PatentDoc, text: dict[str, str], grade_order: tuple[str, ...]) -> dict[str, Any]:
    """The document's index body; ``text``: its token fields (``fields.analysed``)."""
    body: dict[str, Any] = {f"{k}_t": v for k, v in text.items()}
    body.update(patent_facets(doc))
    body.update(id=doc.id, published=doc.published, grade_rank=grade_rank(doc.grade, grade_order),
                application_date=doc.application_date.isoformat() if doc.application_date else None,
                doc=doc.to_dict())
    if (vec := _vector(doc.vector)) is not None:
        body["vec"] = vec
    return body


def need_source(doc: NeedDoc, text: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {f"{k}_t": v for k, v in text.items()}
    body.update(need_facets(doc))
    body.update(id=doc.id, public=doc.public, status=doc.status, doc=doc.to_dict(),
                valid_until=doc.valid_until.isoformat() if doc.valid_until else None)
    if (vec := _vector(doc.vector)) is not None:
        body["vec"] = vec
    return body


def _ndjson(index: str, docs: Iterable[tuple[int, dict[str, Any] | None]]) -> bytes:
    """Index (source given) or delete (None) actions as one bulk request body."""
    lines = []
    for doc_id, source in docs:
        if source is None:
            lines.append(orjson.dumps({"delete": {"_index": index, "_id": str(doc_id)}}))
        else:
            lines.append(orjson.dumps({"index": {"_index": index, "_id": str(doc_id)}}))
            lines.append(orjson.dumps(source))
    return b"\n".join(lines) + b"\n"


def patent_bulk_body(state: tuple[str, SearchBackend, tuple[str, ...]], docs: list[PatentDoc]) -> _Body:
    """Listable patents are indexed (with their vector, computed here when missing), the others deleted."""
    index, backend, grade_order = state
    return _bulk_body(index, backend.analyzer, [(d, d.matchable) for d in docs],
                      lambda d, text: patent_source(backend.with_vector(d), text, grade_order))


def need_bulk_body(state: tuple[str, SearchBackend], docs: list[NeedDoc]) -> _Body:
    """Open needs are indexed (with their vector), the others deleted."""
    index, backend = state
    return _bulk_body(index, backend.analyzer, [(d, d.status == "open") for d in docs],
                      lambda d, text: need_source(backend.with_vector(d), text))


def _bulk_body(index: str, analyzer: Analyzer, docs: list[tuple[Any, bool]],
               source: Callable[[Any, dict[str, str]], dict[str, Any]]) -> _Body:
    """The bulk body indexing each (document, listed) pair's source or deleting it, with the analyses made for
    listed documents that carried no current one."""
    sources: list[tuple[int, dict[str, Any] | None]] = []
    made: list[tuple[int, Analysis]] = []
    for doc, listed in docs:
        if not listed:
            sources.append((doc.id, None))
            continue
        text, new = analysed(doc, analyzer)
        if new is not None:
            made.append((doc.id, new))
        sources.append((doc.id, source(doc, text)))
    return _ndjson(index, sources), made
