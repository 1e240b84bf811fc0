"""Pledge financing (质押融资): propose a registration, propose its release, the pledgee's open-license consent.

A pledge is proposed by its pledgor, its pledgee or the agency brokering it,
and registered only once pledgor, pledgee and every co-owner have consented
(``pledges.acts``). Registration is refused on every ground of DOMAIN.md §5,
when proposed and again when it takes effect. Pledgees are the organisation
kinds ``PLEDGEE_KINDS`` names (banks, guarantee companies, other lenders).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct, Proposal
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today, require_date
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.money import parse_money
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.deals.services import parse_ids
from marketplace.extensions import db
from marketplace.openlicense.facts import lock_patents
from marketplace.openlicense.services import recheck_patent
from marketplace.pledges import acts
from marketplace.pledges.models import Pledge, PledgePatent, PledgeStatus

ENTITY = acts.SUBJECT


def pledgee_kinds() -> tuple[OrganisationKind, ...]:
    """The kinds of organisation that may take a pledge (``PLEDGEE_KINDS``; default banks, guarantee companies
    and other financial organisations)."""
    return tuple(OrganisationKind(kind) for kind in current_app.config["SETTINGS"].pledgee_kinds)


def _organisation(raw: Any, field: str) -> Organisation:
    try:
        organisation = db.session.get(Organisation, int(raw))
    except (TypeError, ValueError):
        organisation = None
    if organisation is None:
        raise ValidationFailed.field(field, _("机构不存在"))
    return organisation


def _flag(raw: Any) -> bool:
    return str(raw).strip().lower() in {"1", "true", "yes", "on", "y"}


def _values(raw: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Validate the registration's own fields, naming every wrong one."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    parsers = {
        "amount": lambda v: parse_money(v, "amount", allow_zero=False),
        "term_start": lambda v: require_date(v, "term_start", today),
        "term_end": lambda v: require_date(v, "term_end"),
        "registered_on": lambda v: require_date(v, "registered_on", today),
    }
    for name, parse in parsers.items():
        try:
            values[name] = parse(raw.get(name))
        except ValidationFailed as error:
            errors.update(error.fields)
    if raw.get("amount") in (None, ""):
        errors["amount"] = _("必填")
    number = str(raw.get("registration_number") or "").strip()
    if not number or len(number) > 64:
        errors["registration_number"] = _("须填写质押登记号（≤64字）")
    values["registration_number"] = number
    if "term_start" in values and "term_end" in values and values["term_end"] <= values["term_start"]:
        errors["term_end"] = _("须晚于起始日")
    if values.get("registered_on") and values["registered_on"] > today:
        errors["registered_on"] = _("不能晚于今天")
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    values["invalidation_accepted"] = _flag(raw.get("invalidation_accepted"))
    values["open_license_consent"] = _flag(raw.get("open_license_consent"))
    if values["open_license_consent"]:
        values["open_license_consent_on"] = values["registered_on"]
        reference = str(raw.get("open_license_consent_reference") or "").strip()[:200]
        values["open_license_consent_reference"] = reference or None
    return values


def register_pledge(user: User, raw: Mapping[str, Any]) -> Pledge:
    """Propose a pledge registration, as its pledgor, its pledgee or the agency that brokers it.

    The pledge is *proposed*; it is registered once pledgor, pledgee and every
    co-owner have consented through their own accounts.
    """
    organisation = require_organisation(user)
    pledgor = _organisation(raw.get("pledgor_id"), "pledgor_id")
    pledgee = _organisation(raw.get("pledgee_id"), "pledgee_id")
    if pledgee.kind not in pledgee_kinds():
        raise ValidationFailed.field("pledgee_id", _("质权人须为银行、融资担保公司或其他金融机构"))
    agency = organisation if organisation.kind == OrganisationKind.AGENCY else None
    if organisation.id not in (pledgor.id, pledgee.id) and agency is None:
        raise ValidationFailed.field("pledgor_id", _("须为出质人、质权人或经办机构"))
    today = local_today()
    values = _values(raw, today)
    patent_ids = parse_ids(raw.get("patent_ids"))
    patents = lock_patents(patent_ids)
    if not patent_ids or len(patents) != len(patent_ids):
        raise ValidationFailed.field("patent_ids", _("须选择至少一件存在的专利"))
    pledge = Pledge(pledgor_id=pledgor.id, pledgee_id=pledgee.id, agency_id=agency.id if agency else None,
                    created_by_id=user.id, patent_links=[PledgePatent(patent_id=p.id, active=False) for p in patents],
                    **values)
    acts.check_registration(pledge, patents)
    if db.session.scalar(select(Pledge.id).where(Pledge.registration_number == values["registration_number"],
                                                 Pledge.status != PledgeStatus.REJECTED)):
        raise Conflict(_("质押登记号已存在"), {"registration_number": "already recorded"})
    db.session.add(pledge)
    db.session.flush()
    record_audit("pledge.proposed", ENTITY, pledge.id,
                 {"amount": pledge.amount, "patent_ids": patent_ids, "registration_number": pledge.registration_number},
                 actor=user)
    consents.propose(user, ConsentAct.PLEDGE_REGISTRATION, pledge, summary=acts.summary(pledge))
    return pledge


def get_pledge(user: User, pledge_id: int) -> Pledge:
    """A pledge seen by its pledgor, pledgee, agency, the co-owners asked to consent and platform admins; 404 for
    anyone else."""
    return get_visible(user, Pledge, pledge_id, Pledge.party_ids, _("质押不存在"),
                       also=lambda pledge: consents.was_asked(ENTITY, pledge.id, user.organisation_id))


def _party_pledge(user: User, pledge_id: int) -> Pledge:
    pledge = get_pledge(user, pledge_id)
    if user.organisation_id not in pledge.party_ids():
        raise NotFound(_("质押不存在"))
    return acts.lock_pledge(pledge.id)


def release_pledge(user: User, pledge_id: int, released_on: Any = None) -> Pledge:
    """Propose the release (注销); it takes effect at once when the pledgee proposes it, else once it agrees."""
    pledge = _party_pledge(user, pledge_id)
    if not pledge.is_active:
        raise Conflict(_("质押未处于登记状态，不能注销"), {"status": pledge.status.value})
    today = local_today()
    released = require_date(released_on, "released_on", today)
    if released > today or released < pledge.registered_on:
        raise ValidationFailed.field("released_on", _("注销日期须在登记日与今天之间"))
    consents.propose(user, ConsentAct.PLEDGE_RELEASE, pledge, summary=acts.summary(pledge),
                     details={"released_on": released.isoformat()})
    return pledge


def record_open_license_consent(user: User, pledge_id: int, consent_on: Any = None, reference: str = "") -> Pledge:
    """The pledgee's written consent that the pledged patents may be (or stay) under open license.

    Only the pledgee gives it, through its own account: neither the pledgor
    nor an agency may state it for the creditor.
    """
    pledge = _party_pledge(user, pledge_id)
    if user.organisation_id != pledge.pledgee_id:
        raise Forbidden(_("质权人同意开放许可的书面意见只能由质权人通过自己的账户作出"))
    if not pledge.is_active:
        raise Conflict(_("质押未处于登记状态"))
    if pledge.open_license_consent:
        raise Conflict(_("已登记质权人同意"))
    pledge.open_license_consent = True
    pledge.open_license_consent_on = require_date(consent_on, "consent_on", local_today())
    pledge.open_license_consent_reference = (reference or "").strip()[:200] or None
    db.session.flush()
    record_audit("pledge.open_license_consent", ENTITY, pledge.id,
                 {"consent_on": pledge.open_license_consent_on, "reference": pledge.open_license_consent_reference},
                 actor=user)
    for link in pledge.patent_links:
        recheck_patent(link.patent_id)
    return pledge


def list_pledges(user: User, filters: Mapping[str, Any], page: int = 1, per_page: int = 20) -> tuple[list[Pledge], int]:
    """The pledges the user may see, newest first."""
    stmt = select(Pledge)
    if not user.is_platform_admin:
        org_id = user.organisation_id
        stmt = stmt.where(or_(Pledge.pledgor_id == org_id, Pledge.pledgee_id == org_id, Pledge.agency_id == org_id,
                              Pledge.id.in_(consents.asked_of(ENTITY, org_id))))
    if filters.get("status"):
        try:
            stmt = stmt.where(Pledge.status == PledgeStatus(filters["status"]))
        except ValueError:
            raise ValidationFailed.field("status", _("无效的质押状态")) from None
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = list(db.session.scalars(
        stmt.options(selectinload(Pledge.patent_links).selectinload(PledgePatent.patent),
                     selectinload(Pledge.pledgor), selectinload(Pledge.pledgee),
                     selectinload(Pledge.proposals).selectinload(Proposal.consents))
        .order_by(Pledge.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return items, total
