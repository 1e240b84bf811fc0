"""Matching engine: search and explainable matching of patents and technology needs.

Plain dataclasses in, plain dataclasses out; no Flask, no app imports. Obtain
a backend with ``create_backend`` (Elasticsearch when an URL is given, else an
embedded SQLite FTS5 index).
"""

from matching.backend import SearchBackend
from matching.documents import NeedDoc, PatentDoc
from matching.errors import QueryTooLong, SearchError, SearchUnavailable
from matching.factory import create_backend
from matching.querying import NeedQuery, PatentQuery
from matching.results import (
    Explanation, Factor, FacetValue, NeedHit, NeedMatch, PatentHit, PatentMatch, RebuildReport, SearchPage,
)
from matching.scoring import Weights

__all__ = [
    "Explanation", "FacetValue", "Factor", "NeedDoc", "NeedHit", "NeedMatch", "NeedQuery", "PatentDoc",
    "PatentHit", "PatentMatch", "PatentQuery", "QueryTooLong", "RebuildReport", "SearchBackend", "SearchError",
    "SearchPage", "SearchUnavailable", "Weights", "create_backend",
]
