"""What each backend stores for a document: token fields, filter/facet values.

Both backends index exactly these, so their recall and facets agree.
"""

from __future__ import annotations

import hashlib
import zlib

import orjson

from matching import ipc
from matching.documents import Analysis, NeedDoc, PatentDoc
from matching.lookup import number_keys
from matching.text import Analyzer, ipc_tokens

# Field weights used by both backends for text relevance (BM25 per field).
PATENT_TEXT_FIELDS: dict[str, float] = {"title": 3.0, "tags": 2.0, "ipc": 1.0, "abstract": 1.0, "claim": 1.0}
NEED_TEXT_FIELDS: dict[str, float] = {"title": 3.0, "keywords": 2.0, "body": 1.0}

PATENT_FACETS = ("segment", "grade", "patent_type", "ipc_section", "owner_id", "open_license", "legal_status", "maturity")
NEED_FACETS = ("segment", "mode")
# Keyword fields a query may filter on (facets plus modes for patents).
PATENT_FILTERS = (*PATENT_FACETS, "mode", "number", "ipc")
NEED_FILTERS = NEED_FACETS

def grade_rank(grade: str | None, order: tuple[str, ...]) -> int:
    """0 for the best grade; ungraded last."""
    return order.index(grade) if grade in order else len(order)


def patent_text(doc: PatentDoc, analyzer: Analyzer) -> dict[str, str]:
    """Token text per field: the document's stored analysis while current, else analysed now."""
    return _current(doc, analyzer) or {
        "title": analyzer.index_text(doc.title),
        "tags": analyzer.label_text(*doc.tags, *doc.segment_names, doc.owner_name),
        "ipc": " ".join([t for code in doc.ipc_codes for t in ipc_tokens(code)]
                        + [analyzer.label_text(ipc.title_text(doc.ipc_codes), segment=False)]).strip(),
        "abstract": analyzer.index_text(doc.abstract, segment=False),
        "claim": analyzer.index_text(doc.first_claim, segment=False),
    }


def need_text(doc: NeedDoc, analyzer: Analyzer) -> dict[str, str]:
    return _current(doc, analyzer) or {
        "title": analyzer.index_text(doc.title),
        "keywords": analyzer.label_text(*doc.keywords, *doc.segment_names),
        "body": analyzer.index_text(doc.description, segment=False),
    }


def analysis_inputs(doc: PatentDoc | NeedDoc) -> str:
    """Digest of everything ``patent_text``/``need_text`` read from the document."""
    if isinstance(doc, PatentDoc):
        read: tuple[object, ...] = (doc.title, doc.tags, doc.segment_names, doc.owner_name, doc.ipc_codes,
                                    doc.abstract, doc.first_claim)
    else:
        read = (doc.title, doc.keywords, doc.segment_names, doc.description)
    return hashlib.sha1(orjson.dumps(read)).hexdigest()


def _current(doc: PatentDoc | NeedDoc, analyzer: Analyzer) -> dict[str, str] | None:
    stored = doc.analysis
    if stored is None or stored.by != analyzer.fingerprint or stored.inputs != analysis_inputs(doc):
        return None
    text: dict[str, str] = orjson.loads(zlib.decompress(stored.packed))
    return text


def analysed(doc: PatentDoc | NeedDoc, analyzer: Analyzer) -> tuple[dict[str, str], Analysis | None]:
    """The document's token text, and its analysis to keep with its row when one had to be made (None when
    ``doc.analysis`` was current): what a rebuild hands back to be stored (``AnalysisSink``)."""
    if (stored := _current(doc, analyzer)) is not None:
        return stored, None
    text = patent_text(doc, analyzer) if isinstance(doc, PatentDoc) else need_text(doc, analyzer)
    return text, Analysis(analyzer.fingerprint, analysis_inputs(doc), zlib.compress(orjson.dumps(text)))


def analysis(doc: PatentDoc | NeedDoc, analyzer: Analyzer) -> Analysis:
    """The document's current analysis (``doc.analysis`` when still current, else made now)."""
    made = analysed(doc, analyzer)[1]
    if made is None:
        assert doc.analysis is not None  # current, so present
        return doc.analysis
    return made


def patent_facets(doc: PatentDoc) -> dict[str, list[str]]:
    codes = list(doc.ipc_codes) + ([doc.ipc_main] if doc.ipc_main else [])
    return {
        "segment": list(dict.fromkeys(doc.segments)),
        "grade": [doc.grade] if doc.grade else [],
        "patent_type": [doc.patent_type],
        "ipc_section": ipc.sections(codes),
        "owner_id": [str(doc.owner_id)] if doc.owner_id is not None else [],
        "open_license": ["true" if doc.open_license else "false"],
        "legal_status": [doc.legal_status],
        "maturity": [doc.maturity] if doc.maturity else [],
        "mode": sorted(doc.effective_modes),
        # exact look-ups (not facets): number keys, IPC index tokens from subclass to subgroup
        "number": number_keys(doc),
        "ipc": list(dict.fromkeys(t for code in codes for t in ipc_tokens(code))),
    }


def need_facets(doc: NeedDoc) -> dict[str, list[str]]:
    return {"segment": list(dict.fromkeys(doc.segments)), "mode": list(dict.fromkeys(doc.modes))}


TermGroups = tuple[tuple[tuple[str, ...], float], ...]
