"""Technology needs (技术需求): companies post, edit, close and reopen them; everyone browses the public ones.

A private need is never listed to other organisations: it only feeds the
matching pushes. Pages, the API and imports all go through these functions,
and every change writes an outbox row so search and push follow it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, String, and_, case, cast, or_, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.core.audit import diff, record_audit
from marketplace.core.errors import Forbidden, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.core.money import parse_price_range
from marketplace.core.validation import FieldCollector, clean_text
from marketplace.core.outbox import record_change
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedSegment, NeedStatus
from marketplace.core.dates import local_today, parse_date
from marketplace.patents.vocab import TransformationMode
from marketplace.segments.concordance import industries

EDITABLE_FIELDS = ("title", "description", "segments", "industry", "keywords", "budget_min", "budget_max", "modes",
                   "valid_until", "public")
# The need input's labels: the page's form shows them and both the page and the API name wrong fields by them.
LABELS = {"title": _l("需求名称"), "description": _l("需求描述"), "segments": _l("产业领域"),
          "industry": _l("国民经济行业分类"), "keywords": _l("关键词"), "budget_min": _l("预算下限（元）"),
          "budget_max": _l("预算上限（元）"), "modes": _l("期望的转化方式"), "valid_until": _l("有效期至"),
          "public": _l("公开发布")}
MAX_TITLE = 300
MAX_DESCRIPTION = 20000
MAX_SEGMENTS = 10
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 40
MAX_SEARCH_TEXT = 100
_TRUE = {"1", "true", "yes", "on", "是"}
_FALSE = {"0", "false", "no", "off", "否", ""}


@dataclass(frozen=True)
class NeedFilters:
    """The public list's filters, already validated: a segment code, a mode value, title text."""

    segment: str | None = None
    mode: str | None = None
    text: str | None = None


def _terms(raw: Any) -> list[str]:
    """A list from either a list or one string separated the ways Chinese users type lists."""
    if raw is None or raw == "":
        return []
    items = re.split(r"[;；,，、\n|]+", raw) if isinstance(raw, str) else [str(item) for item in raw]
    return list(dict.fromkeys(item.strip() for item in items if item and item.strip()))


def _segments(value: Any) -> tuple[list[str], list[str]]:
    """Segments by code or name; GB/T 4754 names (制造业——医药制造业) are taken as industry tags instead.

    GB/T 4754 names contain 、 (信息传输、软件和信息技术服务业), so a value is
    first read whole and split at 、 only when it is neither. Returns the
    segment codes and the GB/T 4754 codes found among the values.
    """
    taxonomy = current_app.extensions["taxonomy"]
    catalogue = industries()
    codes: list[str] = []
    industry: list[str] = []

    def take(raw: str) -> bool:
        segment = taxonomy.resolve(raw)
        found = None if segment else catalogue.parse_one(raw)
        if segment is None and found is None:
            return False
        if segment is not None and segment.code not in codes:
            codes.append(segment.code)
        industry.extend(code for code in found or [] if code not in industry)
        return True

    items = re.split(r"[;；,，\n|]+", value) if isinstance(value, str) else [str(item) for item in value or []]
    for item in (item.strip() for item in items):
        if not item or take(item):
            continue
        for part in _terms(item):
            if not take(part):
                raise ValidationFailed.field("segments", _("未知的产业领域：%(name)s", name=part))
    return codes, industry


def _industry(value: Any) -> list[str]:
    """GB/T 4754 门类/大类 tags by name or code; anything else is refused by name."""
    codes, unknown = industries().parse(value if isinstance(value, str) else [str(v) for v in value or []])
    if unknown:
        raise ValidationFailed.field("industry", _("未知的国民经济行业分类：%(name)s", name=unknown[0]))
    return codes


def _merge_industry(fields: FieldCollector, raw: Mapping[str, Any], current: Need | None) -> None:
    """Keep the GB/T 4754 tags and add the segments the concordance maps them to.

    Tags come from ``industry`` and from GB/T names given as ``segments``; a
    change that names neither keeps the need's tags. Segments the old tags had
    brought are replaced by those of the new tags; segments chosen directly stay.
    """
    if ("segments" not in raw and "industry" not in raw) or {"segments", "industry"} & set(fields.errors):
        fields.values.pop("segments", None)
        fields.values.pop("industry", None)
        return
    explicit, from_segments = fields.values.pop("segments", (None, []))
    tags = fields.values.pop("industry", None)
    current_tags = list(current.industry_codes or []) if current is not None else []
    if tags is not None:
        industry = list(dict.fromkeys([*tags, *from_segments]))
    else:
        industry = from_segments or current_tags
    catalogue = industries()
    if explicit is None:
        brought = set(catalogue.segments_for(current_tags))
        explicit = [code for code in (current.segments if current is not None else []) if code not in brought]
    segments = list(dict.fromkeys([*explicit, *catalogue.segments_for(industry)]))
    if len(segments) > MAX_SEGMENTS:
        fields.errors["segments"] = _("最多 %(count)d 个产业领域", count=MAX_SEGMENTS)
        return
    fields.values["segments"] = segments
    fields.values["industry_codes"] = industry


def _keywords(value: Any) -> list[str]:
    words = _terms(value)
    if len(words) > MAX_KEYWORDS:
        raise ValidationFailed.field("keywords", _("最多 %(n)d 个关键词", n=MAX_KEYWORDS))
    too_long = [w for w in words if len(w) > MAX_KEYWORD_LENGTH]
    if too_long:
        raise ValidationFailed.field("keywords", _("关键词最多 %(n)d 字：%(word)s", n=MAX_KEYWORD_LENGTH,
                                                   word=too_long[0]))
    return words


def parse_mode(value: Any, field: str = "modes") -> str:
    """A transformation mode from its value, Chinese label or alias (转让, 技术许可, 作价入股 …)."""
    member = TransformationMode.parse(str(value))
    if member is None:
        allowed = _("、").join(m.label for m in TransformationMode)
        raise ValidationFailed.field(field, _("无效的转化方式 %(value)s；可选：%(allowed)s", value=value, allowed=allowed))
    return member.value


def _modes(value: Any) -> list[str]:
    return list(dict.fromkeys(parse_mode(item) for item in _terms(value)))


def _boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationFailed.field(field, _("应为 true 或 false"))


def validate_need_values(raw: Mapping[str, Any], *, current: Need | None = None) -> dict[str, Any]:
    """Check and normalise the given fields, naming every wrong one at once.

    For a new need (``current`` is None) the title is required. A validity date
    in the past is refused unless it is the date the need already has, so an
    expired need stays editable without first being extended.
    """
    unknown = sorted(set(raw) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed.field(unknown[0], _("未知字段"))
    fields = FieldCollector(raw, LABELS)
    attempt = fields.parse

    def valid_until(value: Any) -> date | None:
        day = parse_date(value, "valid_until")
        if day is not None and day < local_today() and (current is None or day != current.valid_until):
            raise ValidationFailed.field("valid_until", _("有效期不能早于今天"))
        return day

    attempt("title", lambda v: clean_text(v, "title", MAX_TITLE, required=True))
    attempt("description", lambda v: clean_text(v, "description", MAX_DESCRIPTION))
    attempt("segments", _segments)
    attempt("industry", _industry)
    attempt("keywords", _keywords)
    attempt("modes", _modes)
    attempt("valid_until", valid_until)
    attempt("public", lambda v: _boolean(v, "public"))
    if "budget_min" in raw or "budget_max" in raw:
        low = raw["budget_min"] if "budget_min" in raw else getattr(current, "budget_min", None)
        high = raw["budget_max"] if "budget_max" in raw else getattr(current, "budget_max", None)
        fields.check(lambda: dict(zip(("budget_min", "budget_max"), parse_price_range(low, high, "budget"))))
    _merge_industry(fields, raw, current)
    if current is None:
        fields.require("title")
    fields.raise_errors()
    return fields.values


def _apply(need: Need, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the values, returning ``{field: [old, new]}``; kept segment rows are reused, not re-inserted."""
    changes = diff(need, {k: v for k, v in values.items() if k != "segments"})
    if "segments" in values and values["segments"] != need.segments:
        changes["segments"] = [need.segments, values["segments"]]
        existing = {link.segment_code: link for link in need.segment_links}
        need.segment_links = [existing.get(code) or NeedSegment(segment_code=code) for code in values["segments"]]
    return changes


def _touch(need: Need, action: str, changes: dict[str, Any], actor: User) -> None:
    """Audit a change and tell search/push about it, in the caller's transaction."""
    record_audit(action, "need", need.id, changes, actor=actor, organisation_id=need.organisation_id)
    record_change("need", need.id)


# --- access -----------------------------------------------------------------------------------

def ensure_can_post(user: User) -> Organisation:
    """Only companies post needs: they are the demand side of the marketplace."""
    return require_organisation(user, (OrganisationKind.COMPANY,))


def _is_member(user: User | None, need: Need) -> bool:
    return bool(user is not None and user.is_authenticated and user.organisation_id == need.organisation_id)


def get_visible_need(user: User | None, need_id: int) -> Need:
    """A public need (whatever its status), or a private one seen by its organisation or a platform admin."""
    return get_visible(user, Need, need_id, lambda n: (n.organisation_id,), _("需求不存在"), also=lambda n: n.public)


def get_need_for_owner(user: User, need_id: int) -> Need:
    """A need the user's organisation owns: 404 when the user may not even see it, 403 when only reading is allowed."""
    need = get_visible_need(user, need_id)
    if not _is_member(user, need):
        raise Forbidden(_("只有发布机构可以修改此需求"))
    return need


def can_edit(user: User | None, need: Need) -> bool:
    """Whether pages should offer edit/close buttons."""
    return _is_member(user, need)


# --- changes ----------------------------------------------------------------------------------

def create_need(user: User, raw: Mapping[str, Any]) -> Need:
    """Post a need for the user's company; it is open at once (listed too unless private)."""
    organisation = ensure_can_post(user)
    values = validate_need_values(raw)
    need = Need(organisation_id=organisation.id, created_by_id=user.id, status=NeedStatus.OPEN)
    _apply(need, values)
    db.session.add(need)
    db.session.flush()
    _touch(need, "need.created", values, user)
    return need


def update_need(user: User, need_id: int, raw: Mapping[str, Any]) -> Need:
    """Change the given fields of one of the organisation's needs (a partial update)."""
    need = get_need_for_owner(user, need_id)
    changes = _apply(need, validate_need_values(raw, current=need))
    db.session.flush()
    if changes:
        _touch(need, "need.updated", changes, user)
    return need


def close_need(user: User, need_id: int) -> Need:
    """Stop listing and matching a need; closing a closed need changes nothing."""
    need = get_need_for_owner(user, need_id)
    if need.status != NeedStatus.CLOSED:
        need.status = NeedStatus.CLOSED
        need.closed_at = utcnow()
        db.session.flush()
        _touch(need, "need.closed", {}, user)
    return need


def reopen_need(user: User, need_id: int) -> Need:
    """List and match a closed need again; an expired one must get a new validity date first."""
    need = get_need_for_owner(user, need_id)
    if need.status == NeedStatus.OPEN:
        return need
    if need.is_expired:
        raise ValidationFailed.field("valid_until", _("需求已过期，请先延长有效期"))
    need.status = NeedStatus.OPEN
    need.closed_at = None
    db.session.flush()
    _touch(need, "need.reopened", {}, user)
    return need


# --- lists ------------------------------------------------------------------------------------

def parse_need_filters(raw: Mapping[str, Any]) -> NeedFilters:
    """Validate list filters from a query string; a segment may be given by code or name."""
    segment_raw = str(raw.get("segment") or "").strip()
    mode_raw = str(raw.get("mode") or "").strip()
    text = str(raw.get("q") or "").strip()[:MAX_SEARCH_TEXT] or None
    segment = None
    if segment_raw:
        found = current_app.extensions["taxonomy"].resolve(segment_raw)
        if found is None:
            raise ValidationFailed.field("segment", _("未知的产业领域：%(segment)s", segment=segment_raw))
        segment = found.code
    mode = parse_mode(mode_raw, "mode") if mode_raw else None
    return NeedFilters(segment=segment, mode=mode, text=text)


def _with_rows(query: Select) -> Select:
    """Load what list pages show with the page's rows, not one query per need."""
    return query.options(joinedload(Need.organisation), selectinload(Need.segment_links))


def _filtered(query: Select, filters: NeedFilters) -> Select:
    if filters.segment:
        codes = current_app.extensions["taxonomy"].descendants(filters.segment)
        query = query.where(Need.id.in_(select(NeedSegment.need_id).where(NeedSegment.segment_code.in_(codes))))
    if filters.mode:
        # Modes are a JSON list of known values; quoting the value makes the match exact on both
        # SQLite and PostgreSQL ("license" does not match "open_license").
        query = query.where(cast(Need.modes, String).like(f'%"{filters.mode}"%'))
    if filters.text:
        query = query.where(Need.title.icontains(filters.text, autoescape=True))
    return query


def listed_clause() -> ColumnElement[bool]:
    """The SQL form of ``Need.is_listed``, for any query counting or showing public needs."""
    return and_(Need.status == NeedStatus.OPEN, Need.public.is_(True),
                or_(Need.valid_until.is_(None), Need.valid_until >= local_today()))


def list_public_needs(filters: NeedFilters, page: int = 1, per_page: int = 20) -> Pagination:
    """Open, public, unexpired needs, newest first."""
    query = _filtered(select(Need).where(listed_clause()), filters).order_by(Need.created_at.desc(), Need.id.desc())
    return db.paginate(_with_rows(query), page=page, per_page=per_page, error_out=False)


def list_organisation_needs(user: User, page: int = 1, per_page: int = 20) -> Pagination:
    """All of the user's company's needs, open ones first; closed, expired and private ones included."""
    organisation = ensure_can_post(user)
    query = (select(Need).where(Need.organisation_id == organisation.id)
             .order_by(case((Need.status == NeedStatus.OPEN, 0), else_=1), Need.created_at.desc(), Need.id.desc()))
    return db.paginate(_with_rows(query), page=page, per_page=per_page, error_out=False)
