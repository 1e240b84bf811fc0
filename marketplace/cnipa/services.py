"""Import CNIPA's open-license announcements; export the platform's declarations in the same columns.

Who may import, and what a row becomes (an import never changes another
organisation's rights):

- a **patentee** (university, institute, company) imports the announcements of
  its own patents: a patent it owns with no declaration gets a published
  declaration marked as announced by CNIPA (its source and announcement date),
  then re-checked like any other (a pledged or fee-overdue patent is flagged at
  once); a CNIPA-sourced declaration is updated by a later announcement; a
  declaration made on the platform is never overwritten — a different term is
  reported as a conflict, field by field. Rows of other organisations' patents
  are skipped (*not yours*), rows of patents not on the platform are listed
  (*not on the platform*, downloadable) so the office can import its inventory
  first;
- an **operation agency** or a **platform admin** records announcements as the
  public facts they are (``OpenLicenseAnnouncement``): shown on the patent's
  page as "announced by CNIPA", never as the patentee's declaration.

Rows are read with the inventory import's machinery (``imports.reader``: CSV or
XLSX, header anywhere in the first rows, the same size and zip-bomb limits;
large files run as the same background job) and reported per row.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.cnipa.layout import ANNOUNCEMENTS, EXPORT_TARGETS, Announcement, fee_text, read_row
from marketplace.cnipa.models import SOURCE, OpenLicenseAnnouncement
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today
from marketplace.accounts.permissions import get_visible
from marketplace.core.errors import Forbidden, NotFound, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.core.models import utcnow
from marketplace.core.outbox import record_change
from marketplace.extensions import db
from marketplace.imports.models import ImportBatch, ImportMode
from marketplace.imports.reader import open_table
from marketplace.imports.services import HISTORY_LENGTH, PROGRESS_EVERY, Progress, RowReport, parse_mode, \
    queue_upload, saved_batch
from marketplace.navigation import SUPPLY
from marketplace.openlicense import services as openlicense
from marketplace.openlicense.models import DeclarationStatus, OpenLicenseDeclaration
from marketplace.patents.models import Patent, PatentSegment

KIND = "cnipa"
PUBLIC_IMPORTERS = (OrganisationKind.AGENCY,)
OUTCOMES = {
    "created": _l("已建立声明"), "updated": _l("已按新公告更新"), "unchanged": _l("无变化"),
    "conflict": _l("与平台上的声明不一致，未覆盖"), "recorded": _l("已记录公告"), "not_yours": _l("非本机构专利，未处理"),
    "not_on_platform": _l("平台上没有此专利"),
}
STATUS_FILTERS = ("published", "withdrawn", "ended", "all")
STATUS_LABELS = {"published": _l("已公告"), "withdrawn": _l("已撤回"), "ended": _l("已终止"), "all": _l("全部（不含草稿）")}
# The export's headers in the visitor's language; the English ones are aliases the import accepts too.
COLUMN_LABELS = {"application_number": _l("专利号"), "title": _l("专利名称"), "patent_type": _l("专利类型"),
                 "patentee": _l("专利权人"), "payment_method": _l("许可使用费支付方式"),
                 "fixed_fee": _l("固定费用（元）"), "royalty_rate": _l("提成比例（%）"), "royalty_base": _l("提成基数"),
                 "fee_text": _l("许可使用费"), "term_start": _l("许可期限起"), "term_end": _l("许可期限止"),
                 "announced_on": _l("公告日"), "contact_name": _l("联系人"), "contact_phone": _l("联系电话"),
                 "contact_email": _l("联系邮箱")}
FIELD_LABELS = {"payment_method": _l("支付方式"), "fixed_fee": _l("固定费用"), "royalty_rate": _l("提成比例"),
                "royalty_base": _l("提成基数"), "term_start": _l("许可期限起"), "term_end": _l("许可期限止"),
                "announced_on": _l("公告日")}


def importer_of(user: User) -> tuple[Organisation | None, bool]:
    """The importing organisation and whether it records public announcements (agency, platform admin) rather
    than its own declarations (patentees). Anyone else: 403."""
    organisation = user.organisation if user is not None and user.is_authenticated else None
    if getattr(user, "is_platform_admin", False):
        return organisation, True
    if organisation is not None and organisation.kind in PUBLIC_IMPORTERS:
        return organisation, True
    if organisation is not None and organisation.kind in SUPPLY:
        return organisation, False
    raise Forbidden(_("只有专利权人、运营机构和平台管理员可以导入开放许可公告"))


@dataclass
class RowOutcome:
    row: int
    application_number: str
    title: str
    patentee: str
    announced_on: str
    outcome: str
    reason: str = ""
    patent_id: int | None = None
    declaration_id: int | None = None


def start_import(user: User, filename: str, stream: IO[bytes], *,
                 mode: ImportMode | str = ImportMode.VALID_ONLY) -> ImportBatch:
    """Queue a large announcement list for the background import job (``imports.jobs.run_import``)."""
    organisation, _public = importer_of(user)
    return queue_upload(user, organisation.id if organisation else None, filename, stream, mode=mode, publish=False,
                        kind=KIND)


def import_announcements(user: User, filename: str, stream: IO[bytes], *,
                         mode: ImportMode | str = ImportMode.VALID_ONLY, batch: ImportBatch | None = None,
                         progress: Progress | None = None) -> ImportBatch:
    """Read and validate every row, then apply the valid ones (see the module's rules); the batch's report lists
    every row's outcome and every bad cell. ``all_or_nothing`` with a bad row raises ``ImportRejected``."""
    organisation, public = importer_of(user)
    mode = parse_mode(mode)
    today = local_today()
    with open_table(filename, stream, ANNOUNCEMENTS) as table:
        report = RowReport(table.header)
        accepted, total = _read(table.rows, table.header, report, today, progress)
    if progress is not None:
        progress(total, True)
    batch = saved_batch(batch, user, organisation.id if organisation else None, filename, mode=mode, publish=False,
                        kind=KIND, report=report, total_rows=total)
    numbers = {a.application_number for _row, a in accepted}
    patents = {p.application_number: p for p in db.session.scalars(select(Patent).where(
        Patent.application_number.in_(numbers)))}
    recorded = {(a.application_number, a.announced_on): a for a in db.session.scalars(
        select(OpenLicenseAnnouncement).where(OpenLicenseAnnouncement.application_number.in_(numbers)))
        } if public else {}
    outcomes = []
    written: list[tuple[OpenLicenseAnnouncement, str]] = []
    for row, announcement in accepted:
        patent = patents.get(announcement.application_number)
        outcome = RowOutcome(row, announcement.application_number, announcement.title or (patent.title if patent
                             else ""), announcement.patentee, announcement.announced_on.isoformat(), "",
                             patent_id=patent.id if patent else None)
        if public:
            _record_announcement(announcement, recorded, organisation, batch, outcome, written)
        elif patent is None:
            outcome.outcome = "not_on_platform"
            outcome.reason = _("请先导入本机构的专利清单")
        elif organisation is None or patent.owner_id != organisation.id:
            outcome.outcome = "not_yours"
            outcome.reason = _("只有专利权人可以据公告建立声明；运营机构或平台管理员可记录公告")
        else:
            _apply_to_declaration(announcement, patent, user, outcome)
        outcomes.append(outcome)
    db.session.flush()
    for found, action in written:
        record_audit(f"cnipa.announcement_{action}", "open_license_announcement", found.id,
                     {"application_number": found.application_number, "announced_on": found.announced_on,
                      "import_batch": batch.id}, actor=user)
    batch.created_count = sum(o.outcome in ("created", "recorded") for o in outcomes)
    batch.updated_count = sum(o.outcome == "updated" for o in outcomes)
    batch.unchanged_count = sum(o.outcome == "unchanged" for o in outcomes)
    batch.failed_count = len(report.failed_rows)
    batch.progress_rows = total
    batch.report = {**report.as_json(), "rows": [asdict(o) for o in outcomes]}
    db.session.flush()
    return batch


def _read(rows, header, report: RowReport, today: date, progress: Progress | None
          ) -> tuple[list[tuple[int, Announcement]], int]:
    accepted: list[tuple[int, Announcement]] = []
    first_row_of: dict[tuple[str, date], int] = {}
    total = 0
    for row, cells in rows:
        if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue
        total += 1
        if progress is not None and total % PROGRESS_EVERY == 0:
            progress(total, False)
        values: dict[str, Any] = {}
        for column in header.columns:
            value = cells[column.index] if column.index < len(cells) else None
            if value is not None and values.get(column.target) is None:
                values[column.target] = value
        try:
            announcement = read_row(values, today)
        except ValidationFailed as error:
            report.error(row, error.fields)
            continue
        key = (announcement.application_number, announcement.announced_on)
        if key in first_row_of:
            report.error(row, {"application_number": _("与第 %(row)d 行的公告重复", row=first_row_of[key])})
            continue
        first_row_of[key] = row
        accepted.append((row, announcement))
    return accepted, total


def _record_announcement(announcement: Announcement,
                         recorded: dict[tuple[str, date], OpenLicenseAnnouncement], organisation: Organisation | None,
                         batch: ImportBatch, outcome: RowOutcome,
                         written: list[tuple[OpenLicenseAnnouncement, str]]) -> None:
    """An agency's or admin's row: the announcement as a public record, created or brought up to date (added to
    ``written``, audited by the caller after one flush)."""
    values = {"title": announcement.title, "patentee": announcement.patentee,
              "contact_name": announcement.contact_name, "contact_phone": announcement.contact_phone,
              "contact_email": announcement.contact_email, **announcement.terms()}
    found = recorded.get((announcement.application_number, announcement.announced_on))
    if found is None:
        found = OpenLicenseAnnouncement(application_number=announcement.application_number,
                                        announced_on=announcement.announced_on, source=SOURCE,
                                        recorded_by_id=organisation.id if organisation else None,
                                        import_batch_id=batch.id, **values)
        db.session.add(found)
        outcome.outcome = "recorded"
    else:
        changes = {name: value for name, value in values.items() if getattr(found, name) != value}
        if not changes:
            outcome.outcome = "unchanged"
            return
        for name, value in changes.items():
            setattr(found, name, value)
        found.import_batch_id = batch.id
        outcome.outcome = "updated"
    if outcome.patent_id is None:
        outcome.reason = str(OUTCOMES["not_on_platform"])
    written.append((found, outcome.outcome))


def _differences(declaration: OpenLicenseDeclaration, announcement: Announcement) -> dict[str, tuple[Any, Any]]:
    wanted = {**announcement.terms(), "announced_on": announcement.announced_on}
    return {name: (getattr(declaration, name), value) for name, value in wanted.items()
            if getattr(declaration, name) != value}


def _co_owners_on_platform(patent: Patent) -> bool:
    """Whether a co-owner other than the patentee acts on the platform: then only its own consent binds it."""
    return any(org_id and org_id != patent.owner_id for org_id in patent.co_owner_organisations().values())


def _apply_to_declaration(announcement: Announcement, patent: Patent, user: User, outcome: RowOutcome) -> None:
    """The patentee's row: create, update or leave its declaration; never overwrite one declared here."""
    if patent.expiry is not None and announcement.term_end > patent.expiry:
        outcome.outcome = "conflict"
        outcome.reason = _("许可期限不得超过专利权届满日 %(expiry)s", expiry=patent.expiry.isoformat())
        return
    live = openlicense.live_declaration(patent.id)
    if live is None:
        earlier = db.session.scalar(select(OpenLicenseDeclaration.id).where(
            OpenLicenseDeclaration.patent_id == patent.id,
            OpenLicenseDeclaration.announced_on == announcement.announced_on).limit(1))
        if earlier is not None:  # withdrawn or ended since: an old list must not bring it back
            outcome.outcome, outcome.declaration_id = "unchanged", earlier
            outcome.reason = _("该公告的声明已撤回或终止，未重新建立")
            return
        co_owned = _co_owners_on_platform(patent)
        declaration = OpenLicenseDeclaration(
            patent_id=patent.id, owner_id=patent.owner_id, created_by_id=user.id, source=SOURCE,
            status=DeclarationStatus.DRAFT if co_owned else DeclarationStatus.PUBLISHED,
            announced_on=None if co_owned else announcement.announced_on, published_at=None if co_owned else utcnow(),
            commitment=True, contact_name=announcement.contact_name or patent.owner.name,
            contact_phone=announcement.contact_phone, contact_email=announcement.contact_email,
            trial_months=0, installments=1, installment_interval_months=12, **announcement.terms())
        db.session.add(declaration)
        db.session.flush()
        outcome.outcome, outcome.declaration_id = "created", declaration.id
        record_audit("open_license.imported", openlicense.ENTITY, declaration.id,
                     {"source": SOURCE, "announced_on": announcement.announced_on}, actor=user)
        if co_owned:  # a file one co-owner uploads proves nothing to the others: each consents through its account
            consents.propose(user, ConsentAct.OPEN_LICENSE_DECLARATION, declaration,
                             summary=openlicense.summary(declaration))
            outcome.reason = _("共有人在平台上：各共有人通过本机构账户同意后公布")
            return
        record_change(openlicense.ENTITY, declaration.id)
        record_change("patent", patent.id)
        openlicense.recheck_patent(patent.id)  # the office announced it; the platform still flags what it knows
        if declaration.needs_withdrawal:
            outcome.reason = _("已建立，但平台核查发现不符合条件，已暂停受理：%(reasons)s",
                               reasons=_("；").join(declaration.flag_messages))
        return
    outcome.declaration_id = live.id
    if live.status == DeclarationStatus.DRAFT:
        outcome.outcome = "conflict"
        outcome.reason = _("平台上有该专利未发布的声明草稿，请先发布或删除草稿")
        return
    differences = _differences(live, announcement)
    if not differences:
        outcome.outcome = "unchanged"
        return
    if _co_owners_on_platform(patent):
        outcome.outcome = "conflict"
        outcome.reason = _("共有人在平台上，条款变更须经各共有人同意：请在声明页修改")
        return
    if live.source != SOURCE or announcement.announced_on < (live.announced_on or date.min):
        outcome.outcome = "conflict"
        outcome.reason = _("平台上的声明与公告不同：%(fields)s", fields=_("；").join(
            f"{FIELD_LABELS[name]} {_show(old)} ≠ {_show(new)}" for name, (old, new) in differences.items()))
        return
    for name, (_old, new) in differences.items():
        setattr(live, name, new)
    for name, value in (("contact_phone", announcement.contact_phone), ("contact_email", announcement.contact_email)):
        setattr(live, name, value)
    live.terms_version += 1
    db.session.flush()
    outcome.outcome = "updated"
    record_audit("open_license.import_updated", openlicense.ENTITY, live.id,
                 {name: new for name, (_old, new) in differences.items()}, actor=user)
    record_change(openlicense.ENTITY, live.id)


def _show(value: Any) -> str:
    label = getattr(value, "label", None)
    return str(label) if label is not None else ("—" if value is None else str(value))


def report_of(batch: ImportBatch) -> dict[str, Any]:
    """The inventory report (counts, columns, bad cells) plus every row's outcome."""
    from marketplace.imports.services import report_of as base_report
    rows = (batch.report or {}).get("rows", [])
    return {**base_report(batch), "rows": rows,
            "conflicts": sum(r["outcome"] == "conflict" for r in rows),
            "not_on_platform": sum(r["patent_id"] is None for r in rows)}


def outcome_rows(batch: ImportBatch, outcome: str | None) -> tuple[list[str], list[list[Any]]]:
    """A report's rows as a sheet (all, or one outcome; ``not_on_platform`` also counts recorded announcements
    of patents the platform lacks)."""
    if outcome is not None and outcome not in OUTCOMES:
        raise ValidationFailed.field("outcome", _("可选：%(values)s", values=", ".join(OUTCOMES)))
    rows = [r for r in (batch.report or {}).get("rows", []) if outcome is None or r["outcome"] == outcome
            or (outcome == "not_on_platform" and r["patent_id"] is None)]
    headers = [_("行号"), _("专利号"), _("专利名称"), _("专利权人"), _("公告日"), _("结果"), _("说明")]
    return headers, [[r["row"], r["application_number"], r["title"], r["patentee"], r["announced_on"],
                      str(OUTCOMES[r["outcome"]]), r["reason"]] for r in rows]


def list_batches(user: User, limit: int = HISTORY_LENGTH) -> list[ImportBatch]:
    """The importer's latest announcement imports (an admin without an organisation: its own)."""
    organisation, _public = importer_of(user)
    owner = ImportBatch.organisation_id == organisation.id if organisation else ImportBatch.user_id == user.id
    return list(db.session.scalars(select(ImportBatch).where(ImportBatch.kind == KIND, owner)
                                   .options(selectinload(ImportBatch.user))
                                   .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit)))


def get_batch(user: User, batch_id: int) -> ImportBatch:
    """An announcement import: its organisation's members, the admin who ran it, platform admins; else 404."""
    batch = get_visible(user, ImportBatch, batch_id, lambda b: (b.organisation_id,), _("导入记录不存在"),
                        also=lambda b: b.user_id == user.id)
    if batch.kind != KIND:
        raise NotFound(_("导入记录不存在"))
    return batch


def announcements_for(application_number: str) -> list[OpenLicenseAnnouncement]:
    """The announcements recorded for a patent, newest first (public facts: anyone may read them)."""
    return list(db.session.scalars(select(OpenLicenseAnnouncement).where(
        OpenLicenseAnnouncement.application_number == application_number)
        .options(selectinload(OpenLicenseAnnouncement.recorded_by))
        .order_by(OpenLicenseAnnouncement.announced_on.desc())))


# --- export ------------------------------------------------------------------------------------------------------

def parse_export_filters(raw: Mapping[str, Any]) -> dict[str, Any]:
    status = str(raw.get("status") or "published")
    if status not in STATUS_FILTERS:
        raise ValidationFailed.field("status", _("可选：%(values)s", values=", ".join(STATUS_FILTERS)))
    owner = str(raw.get("owner_id") or "").strip()
    if owner and not owner.isdigit():
        raise ValidationFailed.field("owner_id", _("应为整数"))
    segment = str(raw.get("segment") or "").strip()[:32]
    return {"status": status, "owner_id": int(owner) if owner else None, "segment": segment or None}


def export_declarations(filters: Mapping[str, Any]) -> list[OpenLicenseDeclaration]:
    """The declarations to recommend: announced ones (published; or withdrawn/ended, or all three), never drafts,
    by segment and owner."""
    status = filters.get("status") or "published"
    statuses = ([DeclarationStatus.PUBLISHED, DeclarationStatus.WITHDRAWN, DeclarationStatus.ENDED] if status == "all"
                else [DeclarationStatus(status)])
    stmt = (select(OpenLicenseDeclaration).join(Patent, Patent.id == OpenLicenseDeclaration.patent_id)
            .where(OpenLicenseDeclaration.status.in_(statuses))
            .options(selectinload(OpenLicenseDeclaration.patent), selectinload(OpenLicenseDeclaration.owner)))
    if filters.get("owner_id"):
        stmt = stmt.where(OpenLicenseDeclaration.owner_id == filters["owner_id"])
    if filters.get("segment"):
        stmt = stmt.where(Patent.segment_links.any(PatentSegment.segment_code == filters["segment"]))
    return list(db.session.scalars(stmt.order_by(OpenLicenseDeclaration.announced_on, OpenLicenseDeclaration.id)))


def export_headers() -> list[str]:
    return [ANNOUNCEMENTS.first_alias(target) for target in EXPORT_TARGETS]


def export_rows(declarations: list[OpenLicenseDeclaration]) -> list[list[Any]]:
    """One row per declaration in the announcement layout (``export_headers``); amounts and dates typed."""
    rows = []
    for declaration in declarations:
        patent = declaration.patent
        patentees = "；".join([declaration.owner.name, *patent.co_owners])
        rows.append([
            f"ZL{patent.application_number}", patent.title, patent.patent_type.label_zh, patentees,
            declaration.payment_method.label_zh,
            declaration.fixed_fee if declaration.payment_method.has_fixed_fee else None,
            declaration.royalty_rate, declaration.royalty_base.label_zh if declaration.royalty_base else None,
            fee_text(declaration.payment_method, declaration.fixed_fee, declaration.royalty_rate,
                     declaration.royalty_base),
            declaration.term_start, declaration.term_end, declaration.announced_on, declaration.contact_name,
            declaration.contact_phone, declaration.contact_email])
    return rows
