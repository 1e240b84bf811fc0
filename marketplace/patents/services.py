"""Patent inventory operations: validate, create, update (upsert by application number), publish.

Every path that changes a patent (forms, API, spreadsheet import, CLI) goes
through ``validate_patent_values`` and ``save_patent``/``save_patents`` (which
share ``_write``) so the rules live once.
Changes that affect search write an outbox row in the same transaction.
Rules of higher packages that must see a change in the same transaction (an
open license suspended when its patent lapses) register a hook with
``on_patent_change`` in ``create_app``; patents import none of them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import diff, record_audit
from marketplace.core.bulk import insert_rows
from marketplace.core.i18n import gettext as _
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.core.outbox import record_change, record_changes
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.extensions import db
from marketplace.legal.term import LAPSED
from marketplace.navigation import SUPPLY
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.queries import PatentFilters, organisation_conditions
from marketplace.patents.validation import PatentValues, validate_patent_values
from marketplace.patents.vocab import LegalStatus, PatentType, PublicationState

SAVE_CHUNK = 500


PatentChangeHook = Callable[[int, Mapping[str, Any]], None]
_HOOKS_KEY = "patent_change_hooks"


def on_patent_change(app: Flask, hook: PatentChangeHook) -> None:
    """Have ``hook(patent_id, changed_fields)`` run in the transaction of every patent update (``create_app``)."""
    app.extensions.setdefault(_HOOKS_KEY, []).append(hook)


def _after_patent_change(patent_id: int, changes: Mapping[str, Any]) -> None:
    for hook in current_app.extensions.get(_HOOKS_KEY, ()):
        hook(patent_id, changes)


def _apply(patent: Patent, values: dict[str, Any]) -> dict[str, list[Any]]:
    plain = {k: v for k, v in values.items() if k != "segments"}
    if "legal_status" in plain and plain["legal_status"] != patent.legal_status:
        plain.setdefault("legal_status_on", None)  # the date of the old status does not carry over
    if "co_owners" in plain and plain["co_owners"] != patent.co_owners:
        patent.co_owner_links = [link for link in patent.co_owner_links if link.name in plain["co_owners"]]
    changes = diff(patent, plain)
    if "segments" in values and values["segments"] != patent.segments:
        changes["segments"] = [patent.segments, values["segments"]]
        patent.segment_links = [PatentSegment(segment_code=code) for code in values["segments"]]
    return changes


def ensure_can_supply(user: User) -> Organisation:
    """Only universities, institutes and companies list patents."""
    return require_organisation(user, SUPPLY)


def get_patent_for_owner(user: User, patent_id: int) -> Patent:
    """A patent the user's organisation owns (404 for anyone else's, so ids leak nothing)."""
    return get_visible(user, Patent, patent_id, lambda p: (p.owner_id,), _("专利不存在"), admins=False)


def get_visible_patent(user: User | None, patent_id: int) -> Patent:
    """A published patent, or a draft seen by its owner or a platform admin."""
    return get_visible(user, Patent, patent_id, lambda p: (p.owner_id,), _("专利不存在"),
                       also=lambda p: p.is_published)


@dataclass
class SaveOutcome:
    """What saving one set of values did; ``error`` is set (and nothing written) for a number that cannot be saved.

    ``patent`` is loaded for updates; patents a batch creates are known by id
    only, since loading thousands of fresh rows back would double the cost.
    """

    number: str | None
    patent_id: int | None = None
    patent: Patent | None = None
    created: bool = False
    changes: dict[str, list[Any]] = field(default_factory=dict)
    error: Conflict | None = None
    publish_refused: bool = False

    @property
    def changed(self) -> bool:
        return self.created or bool(self.changes)


# Every editable column of a new patent, so all rows of one INSERT share the same keys.
_NEW_PATENT_DEFAULTS: dict[str, Any] = {
    "publication_numbers": [], "patent_type": PatentType.INVENTION, "abstract": "", "first_claim": "", "ipc_main": None,
    "ipc_codes": [], "co_owners": [], "inventors": [], "application_date": None, "publication_date": None,
    "grant_date": None, "legal_status": LegalStatus.PENDING, "legal_status_on": None, "proceedings_suspended": False,
    "evaluation_report": None,
    "grade": None, "tags": [], "modes": [], "maturity": None, "price_min": None, "price_max": None,
}


def _foreign_number(number: str) -> Conflict:
    message = _("申请号 %(number)s 已由其他机构登记", number=number)
    return Conflict(message, {"application_number": message})


def _existing_by_number(numbers: Iterable[str | None]) -> dict[str, Patent]:
    """Patents holding these application numbers, segments included, in one query."""
    wanted = [number for number in dict.fromkeys(numbers) if number]
    if not wanted:
        return {}
    patents = db.session.scalars(select(Patent).where(Patent.application_number.in_(wanted))
                                 .options(selectinload(Patent.segment_links)))
    return {patent.application_number: patent for patent in patents}


def _listing_state(legal_status: LegalStatus | None, published: bool,
                   publish: bool) -> tuple[PublicationState | None, bool]:
    """The state a patent must move to (None: it stays) and whether publishing it was refused.

    A patent that lapses leaves the listing with the same write that records
    the lapse; a lapsed one is never published.
    """
    lapsed = legal_status in LAPSED
    if published and lapsed:
        return PublicationState.DRAFT, False
    if publish and not published:
        return (None, True) if lapsed else (PublicationState.PUBLISHED, False)
    return None, False


def _update(patent: Patent, data: dict[str, Any], *, publish: bool = False) -> SaveOutcome:
    outcome = SaveOutcome(patent.application_number, patent.id, patent, changes=_apply(patent, data))
    target, outcome.publish_refused = _listing_state(patent.legal_status, patent.is_published, publish)
    if target is not None:
        outcome.changes.update(diff(patent, {
            "state": target, "published_at": utcnow() if target == PublicationState.PUBLISHED else None}))
    return outcome


def _insert(organisation: Organisation, datas: list[dict[str, Any]], *, publish: bool = False,
            source: str | None = None) -> list[SaveOutcome]:
    """Create patents, their segments and ids with ``insert_rows`` (COPY on PostgreSQL).

    The ORM's unit of work would send one INSERT per patent and split
    batches wherever rows leave different columns empty, which made large
    imports crawl.
    """
    if not datas:
        return []
    now = utcnow()
    rows: list[dict[str, Any]] = []
    refused: list[bool] = []
    for data in datas:
        row = {**_NEW_PATENT_DEFAULTS, **{k: v for k, v in data.items() if k != "segments" and v is not None}}
        target, was_refused = _listing_state(row["legal_status"], False, publish)
        row.update(owner_id=organisation.id, source=source, created_at=now, updated_at=now,
                   state=target or PublicationState.DRAFT, published_at=now if target else None)
        rows.append(row)
        refused.append(was_refused)
    ids = insert_rows(Patent.__table__, rows, return_ids=True)
    insert_rows(PatentSegment.__table__, [{"patent_id": patent_id, "segment_code": code}
                                          for data, patent_id in zip(datas, ids, strict=True)
                                          for code in data.get("segments") or []])
    return [SaveOutcome(data["application_number"], patent_id, created=True, publish_refused=was_refused)
            for data, patent_id, was_refused in zip(datas, ids, refused, strict=True)]


def save_patent(organisation: Organisation, values: PatentValues, *, patent: Patent | None = None,
                actor: User | None = None) -> tuple[Patent, bool]:
    """Create, or update when the application number exists in this organisation; returns (patent, created).

    A number owned by another organisation is a conflict, never a silent takeover.
    """
    data = dict(values.values)
    if patent is None:
        number = data.get("application_number")
        patent = _existing_by_number([number]).get(number)
        if patent is not None and patent.owner_id != organisation.id:
            raise _foreign_number(number)
    elif "application_number" in data and data["application_number"] != patent.application_number:
        clash = db.session.scalar(select(Patent.id).where(Patent.application_number == data["application_number"]))
        if clash:
            raise Conflict(_("申请号已存在"), {"application_number": _("申请号已存在")})
    outcome = _update(patent, data) if patent is not None else _insert(organisation, [data])[0]
    db.session.flush()
    if outcome.changed:
        record_audit("patent.created" if outcome.created else "patent.updated", "patent", outcome.patent_id,
                     outcome.changes if not outcome.created else {"application_number": outcome.number},
                     actor=actor, organisation_id=organisation.id)
        record_change("patent", outcome.patent_id)
        _after_patent_change(outcome.patent_id, outcome.changes)
    return outcome.patent or db.session.get(Patent, outcome.patent_id), outcome.created


def save_patents(organisation: Organisation, values_list: Sequence[PatentValues], *, actor: User | None = None,
                 publish: bool = False, source: str | None = None, chunk_size: int = SAVE_CHUNK) -> list[SaveOutcome]:
    """Upsert many patents by application number (spreadsheet import); one outcome per input, in order.

    Per chunk one query prefetches the existing patents, one INSERT creates
    the new ones and one flush writes the updates, so ten thousand rows take
    seconds. Outbox rows are written per changed patent as for single saves,
    but ONE audit entry summarises the batch: thousands of per-row entries
    would bury the trail. A number owned by another organisation, or repeated
    within the call, comes back as an outcome with ``error`` rather than an
    exception, so the caller can report it against its row. ``publish`` lists
    new and draft patents except lapsed ones (``publish_refused``); ``source``
    is recorded on the patents this call creates.
    """
    outcomes: list[SaveOutcome] = []
    seen: set[str] = set()
    for start in range(0, len(values_list), chunk_size):
        chunk = [dict(values.values) for values in values_list[start:start + chunk_size]]
        existing = _existing_by_number(data.get("application_number") for data in chunk)
        done: list[SaveOutcome | None] = []
        new: list[dict[str, Any]] = []
        for data in chunk:
            number = data.get("application_number")
            patent = existing.get(number)
            if number in seen:
                repeated = _("申请号 %(number)s 在本批中重复", number=number)
                done.append(SaveOutcome(number, error=Conflict(repeated, {"application_number": repeated})))
            elif patent is not None and patent.owner_id != organisation.id:
                done.append(SaveOutcome(number, error=_foreign_number(number)))
            elif patent is not None:
                done.append(_update(patent, data, publish=publish))
            else:
                new.append(data)
                done.append(None)
            seen.add(number)
        db.session.flush()
        created = iter(_insert(organisation, new, publish=publish, source=source))
        done = [outcome if outcome is not None else next(created) for outcome in done]
        record_changes("patent", [outcome.patent_id for outcome in done if outcome.changed])
        for outcome in (o for o in done if o.changes and not o.created):
            _after_patent_change(outcome.patent_id, outcome.changes)
        outcomes.extend(done)
    created_numbers = [o.number for o in outcomes if o.created]
    updated_numbers = [o.number for o in outcomes if o.changes and not o.created]
    if created_numbers or updated_numbers:
        record_audit("patent.batch_saved", "patent", None,
                     {"created": created_numbers, "updated": updated_numbers,
                      "unchanged": sum(1 for o in outcomes if o.error is None and not o.changed),
                      "refused": sum(1 for o in outcomes if o.error is not None)},
                     actor=actor, organisation_id=organisation.id)
    return outcomes


def create_patent(user: User, raw: Mapping[str, Any]) -> Patent:
    """A new draft in the user's inventory; a number already there is a conflict, not an update."""
    organisation = ensure_can_supply(user)
    patent, created = save_patent(organisation, validate_patent_values(raw, organisation), actor=user)
    if not created:
        raise Conflict(_("申请号已在本机构库存中"), {"application_number": _("申请号已在本机构库存中")})
    return patent


def update_patent(user: User, patent_id: int, raw: Mapping[str, Any]) -> Patent:
    """Change the given fields only (a PATCH); one price bound alone keeps the other."""
    patent = get_patent_for_owner(user, patent_id)
    raw = dict(raw)
    for given, other in (("price_min", "price_max"), ("price_max", "price_min")):
        if given in raw and other not in raw:
            raw[other] = getattr(patent, other)
    save_patent(patent.owner, validate_patent_values(raw, patent.owner, partial=True,
                                                     stored_number=patent.application_number),
                patent=patent, actor=user)
    return patent


def _kept_records(patent_id: int) -> list[str]:
    """The tables whose rows refer to the patent and outlive it (deals, pledges, licenses, ownership changes):
    found from the foreign keys themselves, so a new kind of record is covered without a list to keep."""
    patent_id_column = Patent.__table__.c.id
    return [table.name for table in db.metadata.sorted_tables for key in table.foreign_keys
            if key.column is patent_id_column and key.ondelete is None
            and db.session.scalar(select(key.parent).where(key.parent == patent_id).limit(1)) is not None]


def delete_patent(user: User, patent_id: int) -> None:
    """Drafts can be deleted; a published patent must be unpublished first, and one with deals, pledges, licenses
    or ownership changes is kept (it stays a draft: those records name it)."""
    patent = get_patent_for_owner(user, patent_id)
    if patent.is_published:
        raise Conflict(_("请先下架再删除"))
    if kept := _kept_records(patent.id):
        raise Conflict(_("该专利已有交易、质押、许可或权属变更记录，不能删除；可保持下架"),
                       {"records": ", ".join(kept)})
    record_audit("patent.deleted", "patent", patent.id, {"application_number": patent.application_number},
                 actor=user, organisation_id=patent.owner_id)
    record_change("patent", patent.id, "deleted")
    db.session.delete(patent)
    db.session.flush()


def set_published(user: User, patent_ids: Iterable[int], published: bool) -> list[Patent]:
    """Publish or unpublish several of the organisation's patents at once, all or none."""
    patents = [get_patent_for_owner(user, pid) for pid in dict.fromkeys(patent_ids)]
    target = PublicationState.PUBLISHED if published else PublicationState.DRAFT
    lapsed = [p for p in patents if published and p.legal_status in LAPSED]
    if lapsed:
        numbers = _("、").join(p.application_number for p in lapsed)
        raise ValidationFailed(_("%(numbers)s：专利已失效，不能发布", numbers=numbers),
                               {"legal_status": lapsed[0].legal_status.value})
    for patent in patents:
        if patent.state == target:
            continue
        patent.state = target
        patent.published_at = utcnow() if published else None
        record_audit("patent.published" if published else "patent.unpublished", "patent", patent.id,
                     actor=user, organisation_id=patent.owner_id)
        record_change("patent", patent.id)
    db.session.flush()
    return patents


BULK_FIELDS = {"grade", "tags", "segments", "modes", "maturity"}
BULK_ACTIONS = ("grade", "add_tags", "replace_tags", "segments", "modes", "maturity", "publish", "unpublish")
BULK_LIMIT = 5000  # "all N results" of a filter: one request's work, all or none


def matching_ids(user: User, filters: PatentFilters) -> list[int]:
    """The ids of the caller's own patents a filter finds, re-evaluated on the server ("select all N results").

    Refused (422 naming ``all_matching``) above ``BULK_LIMIT``: the owner narrows the
    filter rather than changing thousands of patents in one request.
    """
    organisation = ensure_can_supply(user)
    ids = list(db.session.scalars(select(Patent.id).where(*organisation_conditions(organisation.id, filters))
                                  .order_by(Patent.id).limit(BULK_LIMIT + 1)))
    if len(ids) > BULK_LIMIT:
        limit = "{:,}".format(BULK_LIMIT)
        raise ValidationFailed.field("all_matching", _("筛选结果超过 %(limit)s 件，请缩小筛选范围后再批量操作", limit=limit))
    if not ids:
        raise ValidationFailed.field("all_matching", _("没有符合当前筛选的专利"))
    return ids


def apply_bulk(user: User, action: str, patent_ids: Sequence[int], raw: Mapping[str, Any]) -> int:
    """One bulk action of the inventory (page or API) on the given patents, all or none; the count changed.

    ``raw`` holds the action's value under its field (``grade``, ``tags`` for
    both tag actions, ``segments``, ``modes``, ``maturity``); others are ignored.
    """
    if action not in BULK_ACTIONS:
        raise ValidationFailed.field("action", _("未知操作"))
    if action in ("publish", "unpublish"):
        return len(set_published(user, patent_ids, action == "publish"))
    field_name = "tags" if action in ("add_tags", "replace_tags") else action
    return len(bulk_edit(user, patent_ids, {field_name: raw.get(field_name)}, add_tags=action == "add_tags"))


def bulk_edit(user: User, patent_ids: Iterable[int], raw: Mapping[str, Any], *, add_tags: bool = False) -> list[Patent]:
    """Set grade/tags/segments/modes/maturity on many patents; ``add_tags`` appends instead of replacing."""
    unknown = set(raw) - BULK_FIELDS
    if unknown:
        raise ValidationFailed.field(sorted(unknown)[0], _("不能批量修改此字段"))
    organisation = ensure_can_supply(user)
    values = validate_patent_values(raw, organisation, partial=True).values
    patents = [get_patent_for_owner(user, pid) for pid in dict.fromkeys(patent_ids)]
    for patent in patents:
        per_patent = dict(values)
        if add_tags and "tags" in values:
            per_patent["tags"] = list(dict.fromkeys([*patent.tags, *values["tags"]]))
        save_patent(organisation, PatentValues(per_patent), patent=patent, actor=user)
    return patents

