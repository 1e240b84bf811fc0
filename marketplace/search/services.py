"""Search and matching as the app offers them: access rules, query parsing, stored matches.

The engine ranks; the database decides who may see what and keeps every
match (need, patent, score, reasons, status) for pushes, feedback and statistics.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.accounts.permissions import get_visible
from marketplace.core.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from marketplace.core.validation import FIELD_LABELS, FieldCollector
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.patents.models import Patent
from marketplace.search.backend import search_backend
from marketplace.search.documents import need_document, patent_documents
from marketplace.search.models import Match, MatchStatus
from matching.errors import QueryTooLong, SearchUnavailable
from matching.querying import NEED_SORTS, PATENT_SORTS, NeedQuery, PatentQuery
from matching.results import NeedHit, NeedMatch, PatentMatch, SearchPage

Params = Mapping[str, Sequence[str]]
MATCH_LIMIT = 20
NEED_SEARCH_KINDS = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE, OrganisationKind.AGENCY)


@contextmanager
def _engine_errors():
    """Translate the engine's errors into the app's: 422 naming ``q``, or 503 with a retry hint."""
    try:
        yield
    except QueryTooLong as error:
        raise ValidationFailed.field(error.field, _("检索词过长（%(length)s 字，最多 %(limit)s 字）",
                                                    length=error.length, limit=error.limit)) from None
    except SearchUnavailable as error:
        raise ServiceUnavailable(_("搜索服务暂不可用，请稍后重试"), retry_after=error.retry_after) from None


# The search inputs' labels: both the search pages and the API name a wrong field by these.
LABELS = {**FIELD_LABELS, "open_license": _l("开放许可")}
MAX_PAGE, MAX_PER_PAGE = 100000, 100


def params_of(args: MultiDict[str, str]) -> Params:
    """A request's query string as lists (``segment=a&segment=b``), blanks dropped: the search pages and the API
    read it the same way."""
    return {key: [v for v in args.getlist(key) if v != ""] for key in args}


def _first(params: Params, key: str, default: str = "") -> str:
    values = params.get(key) or []
    return str(values[0]) if values else default


def _bounded_int(low: int, high: int) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValidationFailed(_("应为整数：%(value)s", value=raw)) from None
        if not low <= value <= high:
            raise ValidationFailed(_("应在 %(low)s–%(high)s 之间", low=low, high=high))
        return value
    return parse


def _choice(allowed: Sequence[str]) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        if raw not in allowed:
            raise ValidationFailed(_("可选值：%(values)s", values=", ".join(allowed)))
        return str(raw)
    return parse


def _flag(raw: Any) -> bool:
    value = {"true": True, "1": True, "false": False, "0": False}.get(str(raw).lower())
    if value is None:
        raise ValidationFailed(_("应为 true 或 false"))
    return value


def _ids(raw: Sequence[str]) -> list[str]:
    parse = _bounded_int(1, 2**63 - 1)
    return [str(parse(value)) for value in raw]


def _common(params: Params, sorts: Sequence[str], *, patents: bool) -> dict[str, Any]:
    """The search inputs' one schema: every wrong field at once, named by its label."""
    fields = _SearchFields(params, LABELS)
    fields.parse_first("page", _bounded_int(1, MAX_PAGE))
    fields.parse_first("per_page", _bounded_int(1, MAX_PER_PAGE))
    fields.parse_first("sort", _choice(sorts))
    if patents:
        fields.parse_first("open_license", _flag)
        fields.parse("owner_id", _ids)
    fields.raise_errors()
    return {"page": 1, "per_page": 20, "sort": "relevance", **fields.values}


class _SearchFields(FieldCollector):
    """A FieldCollector over query lists: one value per field unless the field repeats (filters)."""

    def parse_first(self, field: str, parser: Callable[[Any], Any]) -> None:
        if self.raw.get(field):
            self.parse(field, lambda values: parser(values[0]))


def patent_query(params: Params) -> PatentQuery:
    """Build the engine's query from request parameters (pages and API share this)."""
    checked = _common(params, PATENT_SORTS, patents=True)
    return PatentQuery(
        q=_first(params, "q"), segments=list(params.get("segment", [])), grades=list(params.get("grade", [])),
        patent_types=list(params.get("patent_type", [])), ipc_sections=list(params.get("ipc_section", [])),
        owner_ids=checked.get("owner_id", []), legal_statuses=list(params.get("legal_status", [])),
        maturities=list(params.get("maturity", [])), modes=list(params.get("mode", [])),
        open_license=checked.get("open_license"), sort=checked["sort"], page=checked["page"],
        per_page=checked["per_page"])


def need_query(params: Params) -> NeedQuery:
    checked = _common(params, NEED_SORTS, patents=False)
    return NeedQuery(q=_first(params, "q"), segments=list(params.get("segment", [])),
                     modes=list(params.get("mode", [])), sort=checked["sort"], page=checked["page"],
                     per_page=checked["per_page"])


def search_patents(params: Params) -> SearchPage:
    """Public full-text, faceted patent search (published patents only)."""
    query = patent_query(params)
    with _engine_errors():
        return search_backend().search_patents(query)


def ranked_patent_ids(q: str, *, open_license: bool | None = None, limit: int = 500) -> list[int]:
    """Patent ids for text ``q``, best first: lets SQL listings (e.g. the open-license catalogue) rank through the engine."""
    return _ranked_ids(PatentQuery(q=q, open_license=open_license), limit)


def ranked_search_ids(params: Params, limit: int = 500) -> list[int]:
    """Patent ids the search page finds for ``params`` (query, filters, sort), best first: its first ``limit``."""
    return _ranked_ids(patent_query(params), limit)


def _ranked_ids(query: PatentQuery, limit: int) -> list[int]:
    ids: list[int] = []
    page = 1
    with _engine_errors():
        while len(ids) < limit:
            result = search_backend().search_patents(replace(query, page=page, per_page=100))
            ids.extend(hit.patent.id for hit in result.hits)
            if page >= result.pages:
                break
            page += 1
    return ids[:limit]


def owner_names(page: SearchPage) -> dict[str, str]:
    """Names for the owner facet's organisation ids, in one query."""
    ids = [int(v.value) for v in page.facets.get("owner_id", []) if v.value.isdigit()]
    if not ids:
        return {}
    rows = db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return {str(org_id): name for org_id, name in rows}


def search_needs(user: User, params: Params) -> SearchPage[NeedHit]:
    """Need search for the supply side and agencies; private needs never appear."""
    if not user.is_platform_admin and (user.organisation is None or user.organisation.kind not in NEED_SEARCH_KINDS):
        raise Forbidden(_("需求检索面向高校、科研院所和运营机构"))
    query = need_query(params)
    with _engine_errors():
        return search_backend().search_needs(query)


def _stored(pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Match]:
    """The stored matches of these (need, patent) pairs, in one query (reading never stores)."""
    if not pairs:
        return {}
    need_ids = {need_id for need_id, _patent_id in pairs}
    patent_ids = {patent_id for _need_id, patent_id in pairs}
    rows = db.session.scalars(select(Match).where(Match.need_id.in_(need_ids), Match.patent_id.in_(patent_ids)))
    wanted = set(pairs)
    return {(m.need_id, m.patent_id): m for m in rows if (m.need_id, m.patent_id) in wanted}


def _store(need_id: int, patent_id: int, score: float, explanation: dict[str, Any], source: str) -> Match:
    match = db.session.scalar(select(Match).where(Match.need_id == need_id, Match.patent_id == patent_id))
    if match is None:
        match = Match(need_id=need_id, patent_id=patent_id, score=score, reasons=explanation, source=source)
        db.session.add(match)
    else:  # refresh the ranking, keep where the pair stands in the funnel
        match.score, match.reasons = score, explanation
    return match


def rank_patents(need: Need, limit: int = MATCH_LIMIT) -> list[PatentMatch]:
    """The engine's patents for a need, best first; nothing is stored."""
    with _engine_errors():
        return search_backend().match_patents(need_document(need), limit=limit)


def rank_needs(patent: Patent, limit: int = MATCH_LIMIT, include_private: bool = False) -> list[NeedMatch]:
    """The engine's open needs for a patent, best first; private needs only when pushing (never listed)."""
    documents = patent_documents([patent])
    if not documents:
        return []
    with _engine_errors():
        ranked = search_backend().match_needs(documents[0], limit=limit * 2 if not include_private else limit)
    return [m for m in ranked if include_private or m.need.public][:limit]


def record_patent_matches(need: Need, limit: int = MATCH_LIMIT, source: str = "need") -> list[tuple[Match, PatentMatch]]:
    """Rank patents for a need and store each pair; dismissed pairs are left out (for jobs and POSTs)."""
    stored = [(_store(need.id, m.patent.id, m.score, m.explanation.to_dict(), source), m)
              for m in rank_patents(need, limit)]
    db.session.flush()
    return [(match, ranked_match) for match, ranked_match in stored if match.status != MatchStatus.DISMISSED]


def record_need_matches(patent: Patent, limit: int = MATCH_LIMIT, source: str = "patent",
                        include_private: bool = False) -> list[tuple[Match, NeedMatch]]:
    """Rank open needs for a patent and store each pair (for jobs and POSTs)."""
    stored = [(_store(m.need.id, patent.id, m.score, m.explanation.to_dict(), source), m)
              for m in rank_needs(patent, limit, include_private)]
    db.session.flush()
    return [(match, ranked_match) for match, ranked_match in stored if match.status != MatchStatus.DISMISSED]


def _visible_need(user: User, need_id: int) -> Need:
    """The need's organisation (and platform admins, agencies for a public need) see its matches."""
    return get_visible(user, Need, need_id, lambda n: (n.organisation_id,), _("需求不存在"),
                       also=lambda n: _is_agency(user) and n.public)


def _visible_patent(user: User, patent_id: int) -> Patent:
    """The patent's owner (and platform admins, agencies for a published patent) see its matches."""
    return get_visible(user, Patent, patent_id, lambda p: (p.owner_id,), _("专利不存在"),
                       also=lambda p: _is_agency(user) and p.is_published)


def _is_agency(user: User) -> bool:
    return user.organisation is not None and user.organisation.kind == OrganisationKind.AGENCY


def matches_for_need(user: User, need_id: int) -> tuple[Need, list[tuple[Match | None, PatentMatch]]]:
    """The need's matched patents, each with its stored match (None until someone acts on the pair).

    A read: it ranks and looks the stored pairs up, it stores nothing (``save_match`` does, on POST).
    Dismissed pairs are left out."""
    need = _visible_need(user, need_id)
    ranked = rank_patents(need)
    stored = _stored([(need.id, m.patent.id) for m in ranked])
    pairs = [(stored.get((need.id, m.patent.id)), m) for m in ranked]
    return need, [(match, m) for match, m in pairs if match is None or match.status != MatchStatus.DISMISSED]


def matches_for_patent(user: User, patent_id: int) -> tuple[Patent, list[tuple[Match | None, NeedMatch]]]:
    """The public needs a patent fits, each with its stored match (None until someone acts on the pair); a read."""
    patent = _visible_patent(user, patent_id)
    ranked = rank_needs(patent)
    stored = _stored([(m.need.id, patent.id) for m in ranked])
    pairs = [(stored.get((m.need.id, patent.id)), m) for m in ranked]
    return patent, [(match, m) for match, m in pairs if match is None or match.status != MatchStatus.DISMISSED]


def save_match(user: User, need_id: int, patent_id: int) -> Match:
    """Store the pair (need, patent) as a match so it can be given feedback and messages (a POST).

    Whoever may see the need's matches (or the patent's) may save a pair the engine ranks for it;
    a pair it does not rank is no match (404). Saving again refreshes the score and keeps the status."""
    try:
        need = _visible_need(user, need_id)
        ranked_patents = {m.patent.id: m for m in rank_patents(need)}
        found: PatentMatch | NeedMatch | None = ranked_patents.get(patent_id)
        source = "need"
    except NotFound:
        patent = _visible_patent(user, patent_id)
        found = next((m for m in rank_needs(patent) if m.need.id == need_id), None)
        source = "patent"
    if found is None:
        raise NotFound(_("匹配不存在"))
    match = _store(need_id, patent_id, found.score, found.explanation.to_dict(), source)
    db.session.flush()
    return match
