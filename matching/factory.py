"""The single entry point the app uses to obtain a backend."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matching.backend import SearchBackend
from matching.scoring import Weights
from matching.text import Analyzer


def create_backend(
    es_url: str | None,
    embedded_path: str,
    index_prefix: str = "patentmkt",
    *,
    synonyms_path: str | Path | Sequence[str | Path] | None = None,
    grade_order: Sequence[str] | None = None,
    weights: Weights | None = None,
    shards: int | None = None,
    replicas: int = 0,
    **es_options: Any,
) -> SearchBackend:
    """Elasticsearch when ``es_url`` is set, else the embedded SQLite index at ``embedded_path``.

    ``synonyms_path``: extra synonym file(s) appended to the shipped list.
    ``grade_order``: the owner's grade labels, best first (default A, B, C, D).
    ``shards`` / ``replicas``: the Elasticsearch indices' layout (new indices only; no ``shards``: by size).
    ``es_options``: passed to ``elasticsearch.Elasticsearch`` (timeouts, auth, TLS).
    Nothing connects here; the first call does.
    """
    extra: list[str | Path] = []
    if isinstance(synonyms_path, (str, Path)):
        extra = [synonyms_path]
    elif synonyms_path:
        extra = list(synonyms_path)
    analyzer = Analyzer.default(extra)
    w = weights or Weights()
    if grade_order:
        w = Weights(**{**w.__dict__, "grade_order": tuple(grade_order)})
    if es_url:
        from matching.es_backend import ElasticsearchBackend

        return ElasticsearchBackend(es_url, analyzer, w, index_prefix=index_prefix, shards=shards,
                                    replicas=replicas, **es_options)
    from matching.embedded import EmbeddedBackend

    return EmbeddedBackend(embedded_path, analyzer, w)
