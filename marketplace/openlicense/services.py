"""Open-license declarations: build, check, publish, withdraw, and keep them honest as the patent changes.

A declaration is the patentee's public offer (Patent Law art. 50). Only the
patentee of a granted patent that meets every condition of DOMAIN.md §4 may
publish one; afterwards ``recheck_patent`` runs whenever the patent's legal
status, pledges or licenses change, flagging declarations that must be
withdrawn so the owner and platform admins see them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.core.audit import diff, record_audit
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.mail import queue_mail
from marketplace.core.models import utcnow
from marketplace.core.outbox import record_change
from marketplace.core.permissions import require_organisation
from marketplace.extensions import db
from marketplace.navigation import SUPPLY
from marketplace.openlicense.eligibility import Ineligible, Refusal, open_license_refusals, patent_expiry
from marketplace.core.dates import local_today
from marketplace.openlicense.facts import live_declaration, lock_patents, patent_facts
from marketplace.openlicense.models import DeclarationStatus, LicenseGrant, OpenLicenseDeclaration
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


def split_names(raw: Any) -> list[str]:
    """Co-owner names as typed in a form (one per line or separated by ，、;) or given as a list."""
    if raw is None or raw == "":
        return []
    parts = re.split(r"[;；,，、\n]+", raw) if isinstance(raw, str) else [str(p) for p in raw]
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _patent_for_owner(user: User, patent_id: int, *, lock: bool = False) -> Patent:
    """The user's organisation's patent (404 otherwise, so ids leak nothing); locked when about to change it."""
    patent = (lock_patents([patent_id]) or [None])[0] if lock else db.session.get(Patent, patent_id)
    if patent is None or user.organisation_id != patent.owner_id:
        raise NotFound("专利不存在 / patent not found")
    return patent


def check_eligibility(user: User, patent_id: int) -> EligibilityReport:
    """Apply every rule of DOMAIN.md §4 to a patent of the user's organisation (or any, for a platform admin)."""
    patent = db.session.get(Patent, patent_id)
    if patent is None or not (user.is_platform_admin or user.organisation_id == patent.owner_id):
        raise NotFound("专利不存在 / patent not found")
    today = local_today()
    declaration = live_declaration(patent.id)
    consents = declaration.co_owner_consents if declaration else []
    refusals = open_license_refusals(patent_facts(patent, today), consents, today)
    return EligibilityReport(patent, refusals, patent_expiry(patent.patent_type, patent.application_date), declaration)


def _declaration_values(patent: Patent, raw: Mapping[str, Any], *, publish: bool, today: date) -> dict[str, Any]:
    """Validate the statutory contents (terms, contact, commitment, consents), naming every wrong field."""
    errors: dict[str, str] = {}
    try:
        terms = validate_terms(raw, expiry=patent_expiry(patent.patent_type, patent.application_date), today=today)
    except ValidationFailed as error:
        errors.update(error.fields)
        terms = None
    contact_name = str(raw.get("contact_name") or "").strip()
    phone = str(raw.get("contact_phone") or "").strip() or None
    email = str(raw.get("contact_email") or "").strip() or None
    if not contact_name or len(contact_name) > 100:
        errors["contact_name"] = "须填写联系人（≤100字）/ a contact name (≤100 characters) is required"
    if not (phone or email):
        errors["contact_phone"] = "须填写联系电话或邮箱 / a phone number or e-mail is required"
    if phone and len(phone) > 40:
        errors["contact_phone"] = "最多 40 字 / at most 40 characters"
    if email and ("@" not in email or len(email) > 254):
        errors["contact_email"] = "邮箱格式无效 / not a valid e-mail address"
    commitment = str(raw.get("commitment", "")).strip().lower() in {"1", "true", "yes", "on", "y"}
    if publish and not commitment:
        errors["commitment"] = "须承诺专利符合开放许可条件 / the commitment must be ticked"
    if publish and terms is not None and terms.term_start < today:
        errors["term_start"] = "许可期限不得早于公告日 / the term may not start before the announcement"
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return {**terms.as_dict(), "contact_name": contact_name, "contact_phone": phone, "contact_email": email,
            "commitment": commitment, "co_owner_consents": split_names(raw.get("co_owner_consents"))}


def save_declaration(user: User, patent_id: int, raw: Mapping[str, Any], *,
                     publish: bool = False) -> OpenLicenseDeclaration:
    """Create or edit the patent's draft declaration and, with ``publish``, announce it.

    Publishing re-applies every eligibility rule under a lock on the patent
    and refuses with all the reasons at once (409 ``ineligible``).
    """
    require_organisation(user, SUPPLY)
    patent = _patent_for_owner(user, patent_id, lock=True)
    today = local_today()
    declaration = live_declaration(patent.id)
    if declaration is not None and declaration.is_published:
        raise Conflict("已发布的开放许可声明不可修改；如需变更，请先撤回再重新声明 / "
                       "a published declaration cannot be changed: withdraw it and declare again")
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
    if publish:
        refusals = open_license_refusals(patent_facts(patent, today), values["co_owner_consents"], today)
        if refusals:
            raise Ineligible("该专利目前不能声明开放许可 / the patent may not be declared for open license now",
                             [("", r) for r in refusals])
        declaration.status = DeclarationStatus.PUBLISHED
        declaration.announced_on = today
        declaration.published_at = utcnow()
        declaration.needs_withdrawal, declaration.flag_reasons, declaration.flagged_at = False, [], None
    db.session.flush()
    action = "published" if publish else ("created" if created else "updated")
    record_audit(f"open_license.{action}", ENTITY, declaration.id, changes, actor=user)
    record_change(ENTITY, declaration.id)
    record_change("patent", patent.id)
    return declaration


def lock_declaration(declaration_id: int, *, shared: bool = False) -> OpenLicenseDeclaration:
    """``FOR UPDATE`` to withdraw; ``FOR SHARE`` to accept, so accepts run side by side but not past a withdrawal."""
    declaration = db.session.scalar(
        select(OpenLicenseDeclaration).where(OpenLicenseDeclaration.id == declaration_id)
        .with_for_update(read=shared).execution_options(populate_existing=True))
    if declaration is None:
        raise NotFound("开放许可不存在 / open license not found")
    return declaration


def withdraw_declaration(user: User, declaration_id: int, reason: str = "") -> OpenLicenseDeclaration:
    """Withdraw unconditionally (art. 51); licenses already obtained stay valid and untouched."""
    declaration = lock_declaration(declaration_id)
    if user.organisation_id != declaration.owner_id:
        raise NotFound("开放许可不存在 / open license not found")
    if declaration.status == DeclarationStatus.WITHDRAWN:
        raise Conflict("该声明已撤回 / the declaration is already withdrawn")
    declaration.status = DeclarationStatus.WITHDRAWN
    declaration.withdrawn_on = local_today()
    declaration.withdrawal_reason = (reason or "").strip()[:500] or None
    declaration.needs_withdrawal = False
    db.session.flush()
    record_audit("open_license.withdrawn", ENTITY, declaration.id,
                 {"reason": declaration.withdrawal_reason, "licenses_kept": len(declaration.licenses)}, actor=user)
    record_change(ENTITY, declaration.id)
    record_change("patent", declaration.patent_id)
    return declaration


def recheck_patent(patent_id: int) -> OpenLicenseDeclaration | None:
    """Re-apply the rules to the patent's published declaration and flag (or clear) it.

    Called by every service that changes a patent's legal status, pledges or
    licenses. A newly flagged declaration is mailed to its contact; the flag
    and its reasons show on the owner's pages and the platform admins' list.
    """
    declaration = db.session.scalar(select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent_id, OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED))
    if declaration is None:
        return None
    today = local_today()
    refusals = open_license_refusals(patent_facts(declaration.patent, today), declaration.co_owner_consents, today)
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
        patent = declaration.patent
        queue_mail(recipient, f"开放许可需撤回：{patent.title} / open license must be withdrawn",
                   f"专利 {patent.application_number}《{patent.title}》已不符合开放许可条件：\n"
                   + "\n".join(f"- {r.message}" for r in refusals)
                   + "\n请登录平台撤回开放许可声明。\n")
    return declaration


def recheck_after_patent_change(patent_id: int, changes: Mapping[str, Any]) -> None:
    """The patent services' hook: re-check only when a field the rules read has changed."""
    if RULE_FIELDS & set(changes):
        recheck_patent(patent_id)


def get_declaration(user: User | None, declaration_id: int) -> OpenLicenseDeclaration:
    """Published and withdrawn declarations are public record; drafts only for their owner and admins."""
    declaration = db.session.get(OpenLicenseDeclaration, declaration_id)
    if declaration is None:
        raise NotFound("开放许可不存在 / open license not found")
    if declaration.status == DeclarationStatus.DRAFT:
        authenticated = user is not None and user.is_authenticated
        if not authenticated or not (user.is_platform_admin or user.organisation_id == declaration.owner_id):
            raise NotFound("开放许可不存在 / open license not found")
    return declaration


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
        raise ValidationFailed.field(field, f"无效取值 {value} / unknown value {value}")
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
            raise ValidationFailed.field("fee_type", "应为 fixed、royalty 或 free / must be fixed, royalty or free")
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
    live = select(OpenLicenseDeclaration.patent_id).where(OpenLicenseDeclaration.status != DeclarationStatus.WITHDRAWN)
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
