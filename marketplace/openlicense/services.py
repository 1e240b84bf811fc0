"""Open-license declarations: build, check, publish, withdraw, and keep them honest as the patent changes.

A declaration is the patentee's public offer (Patent Law art. 50). Only the
patentee of a granted patent that meets every condition of DOMAIN.md §4 may
publish one, and of a co-owned patent only once every co-owner consented
through its own account (``openlicense.acts``); withdrawing needs them all
too. Afterwards ``recheck_patent`` runs whenever the patent's legal status,
pledges or licenses change: a patent that terminated, expired or was
invalidated ends its declaration (it leaves the catalogue, licenses obtained
stay valid); any other failing rule suspends acceptance and flags the
declaration so the owner and platform admins see it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct
from marketplace.core.audit import diff, record_audit
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.mail import queue_mail
from marketplace.push.notify import address_locale
from marketplace.core.models import utcnow
from marketplace.core.outbox import record_change
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.extensions import db
from marketplace.legal.conflicts import OPEN_DECLARATION, LicenseTerm, license_conflicts
from marketplace.legal.eligibility import open_license_refusals
from marketplace.legal.refusals import Ineligible, Refusal
from marketplace.legal.term import LAPSED, has_lapsed
from marketplace.navigation import SUPPLY
from marketplace.openlicense.facts import license_terms, live_declaration, lock_patents, patent_facts
from marketplace.openlicense.models import LIVE, DeclarationStatus, LicenseGrant, OpenLicenseDeclaration
from marketplace.openlicense.terms import PaymentMethod, validate_terms
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.vocab import LabelledEnum, LegalStatus, PatentType
from marketplace.search.services import ranked_patent_ids

ENTITY = "open_license"
RULE_FIELDS = frozenset({"legal_status", "proceedings_suspended", "evaluation_report", "co_owners",
                         "application_date", "patent_type"})


@dataclass(frozen=True)
class EligibilityReport:
    """The answer of the eligibility check: every refusal, and the expiry the term is checked against."""

    patent: Patent
    refusals: list[Refusal]
    expiry: date | None
    declaration: OpenLicenseDeclaration | None

    @property
    def eligible(self) -> bool:
        return not self.refusals


def _patent_for_owner(user: User, patent_id: int, *, lock: bool = False) -> Patent:
    """The user's organisation's patent (404 otherwise, so ids leak nothing); locked when about to change it."""
    if not lock:
        return get_visible(user, Patent, patent_id, lambda p: (p.owner_id,), _("专利不存在"), admins=False)
    patent = (lock_patents([patent_id]) or [None])[0]
    if patent is None or user.organisation_id != patent.owner_id:
        raise NotFound(_("专利不存在"))
    return patent


def check_eligibility(user: User, patent_id: int) -> EligibilityReport:
    """Apply every rule of DOMAIN.md §4 to a patent of the user's organisation (or any, for a platform admin)."""
    patent = get_visible(user, Patent, patent_id, lambda p: (p.owner_id,), _("专利不存在"))
    today = local_today()
    refusals = open_license_refusals(patent_facts(patent, today), today)
    return EligibilityReport(patent, refusals, patent.expiry, live_declaration(patent.id))


def _declaration_values(patent: Patent, raw: Mapping[str, Any], *, publish: bool, today: date) -> dict[str, Any]:
    """Validate the statutory contents (terms, contact, commitment, consents), naming every wrong field."""
    errors: dict[str, str] = {}
    try:
        terms = validate_terms(raw, expiry=patent.expiry, today=today)
    except ValidationFailed as error:
        errors.update(error.fields)
        terms = None
    contact_name = str(raw.get("contact_name") or "").strip()
    phone = str(raw.get("contact_phone") or "").strip() or None
    email = str(raw.get("contact_email") or "").strip() or None
    if not contact_name or len(contact_name) > 100:
        errors["contact_name"] = _("须填写联系人（≤100字）")
    if not (phone or email):
        errors["contact_phone"] = _("须填写联系电话或邮箱")
    if phone and len(phone) > 40:
        errors["contact_phone"] = _("最多 %(n)d 字", n=40)
    if email and ("@" not in email or len(email) > 254):
        errors["contact_email"] = _("邮箱格式无效")
    commitment = str(raw.get("commitment", "")).strip().lower() in {"1", "true", "yes", "on", "y"}
    if publish and not commitment:
        errors["commitment"] = _("须承诺专利符合开放许可条件")
    if publish and terms is not None and terms.term_start < today:
        errors["term_start"] = _("许可期限不得早于公告日")
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return {**terms.as_dict(), "contact_name": contact_name, "contact_phone": phone, "contact_email": email,
            "commitment": commitment}


def publication_refusals(declaration: OpenLicenseDeclaration, patent: Patent, today: date) -> list[Refusal]:
    """Every reason the declaration may not be announced: the eligibility rules, and any exclusive or sole
    license whose term overlaps the declared term."""
    term = LicenseTerm(OPEN_DECLARATION, declaration.term_start, declaration.term_end)
    return open_license_refusals(patent_facts(patent, today), today) + license_conflicts(term, license_terms(patent.id))


def save_declaration(user: User, patent_id: int, raw: Mapping[str, Any], *,
                     publish: bool = False) -> OpenLicenseDeclaration:
    """Create or edit the patent's draft declaration and, with ``publish``, propose announcing it.

    Publishing applies every eligibility rule under a lock on the patent and
    refuses with all the reasons at once (409 ``ineligible``). Without
    co-owners the declaration is announced at once; with co-owners it is
    announced when every one has consented. Editing a draft invalidates the
    consents already given: they were for the earlier terms.
    """
    require_organisation(user, SUPPLY)
    patent = _patent_for_owner(user, patent_id, lock=True)
    today = local_today()
    declaration = live_declaration(patent.id)
    if declaration is not None and declaration.is_published:
        raise Conflict(_("已发布的开放许可声明不可修改；如需变更，请先撤回再重新声明"))
    values = _declaration_values(patent, raw, publish=publish, today=today)
    created = declaration is None
    if created:
        declaration = OpenLicenseDeclaration(patent_id=patent.id, owner_id=patent.owner_id, created_by_id=user.id,
                                             **values)
        db.session.add(declaration)
        db.session.flush()
        changes: dict[str, Any] = {"patent_id": patent.id}
    else:
        changes = diff(declaration, values)
        if changes:
            declaration.terms_version += 1
            consents.lapse_pending(ENTITY, declaration.id, (ConsentAct.OPEN_LICENSE_DECLARATION,))
    db.session.flush()
    record_audit(f"open_license.{'created' if created else 'updated'}", ENTITY, declaration.id,
                 {**changes, "terms_version": declaration.terms_version}, actor=user)
    if not publish:
        record_change(ENTITY, declaration.id)  # publishing records its own change once announced
    if publish:
        refusals = publication_refusals(declaration, patent, today)
        if refusals:
            raise Ineligible(_("该专利目前不能声明开放许可"), [("", r) for r in refusals])
        pending = consents.pending_proposal(ENTITY, declaration.id, ConsentAct.OPEN_LICENSE_DECLARATION)
        if pending is None or pending.terms_version != declaration.terms_version:
            consents.propose(user, ConsentAct.OPEN_LICENSE_DECLARATION, declaration, summary=summary(declaration))
    return declaration


def summary(declaration: OpenLicenseDeclaration) -> str:
    patent = declaration.patent
    return f"{patent.application_number}《{patent.title[:100]}》"


def publish_declaration(declaration: OpenLicenseDeclaration, user: User) -> None:
    """Announce the declaration (every co-owner consented), re-applying the rules under the patent's lock."""
    today = local_today()
    patent = lock_patents([declaration.patent_id])[0]
    refusals = publication_refusals(declaration, patent, today)
    if refusals:
        raise Ineligible(_("该专利目前不能声明开放许可"), [("", r) for r in refusals])
    declaration.status = DeclarationStatus.PUBLISHED
    declaration.announced_on = today
    declaration.published_at = utcnow()
    declaration.needs_withdrawal, declaration.flag_reasons, declaration.flagged_at = False, [], None
    db.session.flush()
    record_audit("open_license.published", ENTITY, declaration.id, {"terms_version": declaration.terms_version},
                 actor=user)
    record_change(ENTITY, declaration.id)
    record_change("patent", patent.id)


def lock_declaration(declaration_id: int, *, shared: bool = False) -> OpenLicenseDeclaration:
    """``FOR UPDATE`` to withdraw; ``FOR SHARE`` to accept, so accepts run side by side but not past a withdrawal."""
    declaration = db.session.scalar(
        select(OpenLicenseDeclaration).where(OpenLicenseDeclaration.id == declaration_id)
        .with_for_update(read=shared).execution_options(populate_existing=True))
    if declaration is None:
        raise NotFound(_("开放许可不存在"))
    return declaration


def lock_for_decision(declaration_id: int) -> OpenLicenseDeclaration:
    """The patent, then the declaration, ``FOR UPDATE``: the same order as editing a draft, so they never deadlock."""
    patent_id = db.session.scalar(select(OpenLicenseDeclaration.patent_id)
                                  .where(OpenLicenseDeclaration.id == declaration_id))
    if patent_id is None:
        raise NotFound(_("开放许可不存在"))
    lock_patents([patent_id])
    return lock_declaration(declaration_id)


def withdraw_declaration(user: User, declaration_id: int, reason: str = "") -> OpenLicenseDeclaration:
    """Propose withdrawing the declaration (art. 51): the patentee or a co-owner proposes, all consent.

    A draft binds no one: its owner discards it at once. Licenses already
    obtained stay valid and untouched.
    """
    declaration = lock_for_decision(declaration_id)
    co_owners = set(declaration.patent.co_owner_organisations().values()) - {None}
    if user.organisation_id != declaration.owner_id and (user.organisation_id not in co_owners
                                                         or declaration.status != DeclarationStatus.PUBLISHED):
        raise NotFound(_("开放许可不存在"))
    if declaration.status not in LIVE:
        raise Conflict(_("该声明已%(status)s", status=declaration.status.label))
    reason = (reason or "").strip()[:500]
    if declaration.status == DeclarationStatus.DRAFT:
        end_withdrawn(declaration, reason, user)
    else:
        consents.propose(user, ConsentAct.OPEN_LICENSE_WITHDRAWAL, declaration, summary=summary(declaration),
                         details={"reason": reason})
    return declaration


def end_withdrawn(declaration: OpenLicenseDeclaration, reason: str, user: User) -> None:
    """Withdrawn (every co-owner consented, or a draft discarded); licenses obtained are kept."""
    declaration.status = DeclarationStatus.WITHDRAWN
    declaration.withdrawn_on = local_today()
    declaration.withdrawal_reason = reason or None
    declaration.needs_withdrawal = False
    consents.lapse_pending(ENTITY, declaration.id, (ConsentAct.OPEN_LICENSE_DECLARATION,))
    db.session.flush()
    record_audit("open_license.withdrawn", ENTITY, declaration.id,
                 {"reason": declaration.withdrawal_reason, "licenses_kept": len(declaration.licenses)}, actor=user)
    record_change(ENTITY, declaration.id)
    record_change("patent", declaration.patent_id)


def _end(declaration: OpenLicenseDeclaration, patent: Patent, today: date) -> None:
    """The patent right ended: so does its declaration, by law, with the date and the status that ended it."""
    by_status = patent.legal_status in LAPSED
    reason = patent.legal_status.value if by_status else LegalStatus.EXPIRED.value
    declaration.status = DeclarationStatus.ENDED
    declaration.ended_on = (patent.legal_status_on or today) if by_status else (patent.expiry or today)
    declaration.end_reason = reason
    declaration.needs_withdrawal, declaration.flag_reasons, declaration.flagged_at = False, [], None
    consents.lapse_pending(ENTITY, declaration.id)
    db.session.flush()
    record_audit("open_license.ended", ENTITY, declaration.id,
                 {"reason": reason, "ended_on": declaration.ended_on, "licenses_kept": len(declaration.licenses)},
                 organisation_id=declaration.owner_id)
    record_change(ENTITY, declaration.id)
    record_change("patent", patent.id)
    recipient = declaration.contact_email or declaration.owner.contact_email
    if recipient:
        with force_locale(address_locale(declaration.owner_id, recipient)):
            subject = _("开放许可已终止：%(title)s", title=patent.title)
            body = _("专利 %(number)s《%(title)s》的专利权已终止、届满或被宣告无效，其开放许可声明随之终止，"
                     "不再接受新的许可；已获得的许可继续有效。\n", number=patent.application_number,
                     title=patent.title)
        queue_mail(recipient, subject, body)


def recheck_patent(patent_id: int) -> OpenLicenseDeclaration | None:
    """Re-apply the rules to the patent's published declaration: end it, flag it, or clear its flag.

    Called by every service that changes a patent's legal status, pledges or
    licenses, and periodically for what time alone changes. A lapsed patent
    ends its declaration; any other refusal suspends acceptance and flags the
    declaration (mailed to its contact once), shown on the owner's pages and
    the platform admins' list.
    """
    declaration = db.session.scalar(select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent_id, OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED))
    if declaration is None:
        return None
    today = local_today()
    patent = declaration.patent
    if has_lapsed(patent.legal_status, patent.expiry, today):
        _end(declaration, patent, today)
        return declaration
    # The co-owners consented when it was announced: a co-owner's account is a condition of declaring, not of
    # staying declared (withdrawing asks them again).
    refusals = [r for r in open_license_refusals(patent_facts(patent, today), today)
                if r.code != "co_owner_not_on_platform"]
    reasons = [{"code": r.code, "detail": r.detail} for r in refusals]
    if reasons == (declaration.flag_reasons or []) and declaration.needs_withdrawal == bool(reasons):
        return declaration
    newly_flagged = bool(reasons) and not declaration.needs_withdrawal
    declaration.needs_withdrawal = bool(reasons)
    declaration.flag_reasons = reasons
    declaration.flagged_at = utcnow() if reasons else None
    record_audit("open_license.flagged" if reasons else "open_license.cleared", ENTITY, declaration.id,
                 {"reasons": [r.code for r in refusals]}, organisation_id=declaration.owner_id)
    record_change(ENTITY, declaration.id)
    recipient = declaration.contact_email or declaration.owner.contact_email
    if newly_flagged and recipient:
        with force_locale(address_locale(declaration.owner_id, recipient)):
            subject = _("开放许可暂停受理：%(title)s", title=patent.title)
            body = _("专利 %(number)s《%(title)s》目前不符合开放许可条件，声明暂停受理新的许可：",
                     number=patent.application_number, title=patent.title) + "\n" + \
                "\n".join(f"- {r.message}" for r in refusals) + "\n" + _("条件恢复前请勿接受新的许可；如条件无法恢复，请撤回声明。")
        queue_mail(recipient, subject, body)
    return declaration


def recheck_after_patent_change(patent_id: int, changes: Mapping[str, Any]) -> None:
    """The patent services' hook: re-check only when a field the rules read has changed."""
    if RULE_FIELDS & set(changes):
        recheck_patent(patent_id)


def get_declaration(user: User | None, declaration_id: int) -> OpenLicenseDeclaration:
    """Published and withdrawn declarations are public record; drafts only for their owner and admins."""
    return get_visible(user, OpenLicenseDeclaration, declaration_id,
                       lambda d: (d.owner_id, *d.patent.co_owner_organisations().values()), _("开放许可不存在"),
                       also=lambda d: d.status != DeclarationStatus.DRAFT)


def licensee_counts(declaration_ids: list[int]) -> dict[int, int]:
    """Licenses obtained per declaration, in one query for a page of declarations."""
    if not declaration_ids:
        return {}
    rows = db.session.execute(select(LicenseGrant.declaration_id, func.count()).where(
        LicenseGrant.declaration_id.in_(declaration_ids)).group_by(LicenseGrant.declaration_id))
    return {declaration_id: count for declaration_id, count in rows}


def _member(enum_cls: type[LabelledEnum], value: Any, field: str) -> Any:
    member = enum_cls.parse(str(value))
    if member is None:
        raise ValidationFailed.field(field, _("无效取值 %(value)s", value=value))
    return member


def search_catalogue(filters: Mapping[str, Any], page: int = 1, per_page: int = 20
                     ) -> tuple[list[OpenLicenseDeclaration], int]:
    """Published declarations, newest first, filtered by text, type, payment method, fee type and segment."""
    stmt = (select(OpenLicenseDeclaration).join(Patent, Patent.id == OpenLicenseDeclaration.patent_id)
            .where(OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED))
    query = str(filters.get("q") or "").strip()
    ranked: list[int] = []
    if query:
        ranked = ranked_patent_ids(query, open_license=True)
        stmt = stmt.where(Patent.id.in_(ranked))
    if filters.get("patent_type"):
        stmt = stmt.where(Patent.patent_type == _member(PatentType, filters["patent_type"], "patent_type"))
    if filters.get("payment_method"):
        method = _member(PaymentMethod, filters["payment_method"], "payment_method")
        stmt = stmt.where(OpenLicenseDeclaration.payment_method == method)
    if filters.get("fee_type"):
        methods = [m for m in PaymentMethod if m.fee_type == filters["fee_type"]]
        if not methods:
            raise ValidationFailed.field("fee_type", _("应为 fixed、royalty 或 free"))
        stmt = stmt.where(OpenLicenseDeclaration.payment_method.in_(methods))
    if filters.get("segment"):
        stmt = stmt.where(Patent.segment_links.any(PatentSegment.segment_code == filters["segment"]))
    if filters.get("owner_id"):
        stmt = stmt.where(OpenLicenseDeclaration.owner_id == int(filters["owner_id"]))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = list(db.session.scalars(stmt.options(selectinload(OpenLicenseDeclaration.licenses),
                                                 selectinload(OpenLicenseDeclaration.patent),
                                                 selectinload(OpenLicenseDeclaration.owner))
                                    .order_by(*([case({pid: rank for rank, pid in enumerate(ranked)},
                                                      value=Patent.id)] if ranked else []),
                                              OpenLicenseDeclaration.announced_on.desc(),
                                              OpenLicenseDeclaration.id.desc())
                                    .limit(per_page).offset((page - 1) * per_page)))
    return items, total


def declarations_of(user: User) -> list[OpenLicenseDeclaration]:
    """The user's organisation's declarations, those that must be withdrawn first."""
    return list(db.session.scalars(
        select(OpenLicenseDeclaration).where(OpenLicenseDeclaration.owner_id == user.organisation_id)
        .options(selectinload(OpenLicenseDeclaration.licenses), selectinload(OpenLicenseDeclaration.patent))
        .order_by(OpenLicenseDeclaration.needs_withdrawal.desc(), OpenLicenseDeclaration.id.desc())))


def declarable_patents(user: User, limit: int = 100) -> list[Patent]:
    """The organisation's granted patents without a live declaration: where the builder starts."""
    live = select(OpenLicenseDeclaration.patent_id).where(OpenLicenseDeclaration.status.in_(LIVE))
    return list(db.session.scalars(
        select(Patent).where(Patent.owner_id == user.organisation_id, Patent.legal_status == LegalStatus.GRANTED,
                             Patent.id.not_in(live)).order_by(Patent.title).limit(limit)))


def flagged_declarations() -> list[OpenLicenseDeclaration]:
    """Every published declaration the re-check says must be withdrawn (for platform admins)."""
    return list(db.session.scalars(select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.needs_withdrawal.is_(True)).order_by(OpenLicenseDeclaration.flagged_at.desc())))


def patent_summary(patent_id: int) -> dict[str, Any] | None:
    """For the patent page: the published declaration and how many licensees it has ("开放许可，N 家被许可人")."""
    declaration = db.session.scalar(select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent_id, OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED))
    if declaration is None:
        return None
    return {"declaration": declaration, "licensees": licensee_counts([declaration.id]).get(declaration.id, 0)}
