"""Pledge financing (质押融资): register, release, and the pledgee's consent to an open license.

Registration is refused on every ground of DOMAIN.md §5. Two registrations
of one patent racing each other are serialised by row locks on the patents
(taken in id order); the partial unique index on active pledged patents is
the last guard. Each change re-checks the patents' open-license declarations.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.core.audit import record_audit
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.money import parse_money
from marketplace.core.permissions import require_organisation
from marketplace.deals.services import parse_ids
from marketplace.extensions import db
from marketplace.openlicense.eligibility import Ineligible, Refusal, pledge_refusals
from marketplace.core.dates import local_today, require_date
from marketplace.openlicense.facts import lock_patents, patent_facts
from marketplace.openlicense.services import recheck_patent, split_names
from marketplace.pledges.models import Pledge, PledgePatent, PledgeStatus

ENTITY = "pledge"


def _organisation(raw: Any, field: str) -> Organisation:
    try:
        organisation = db.session.get(Organisation, int(raw))
    except (TypeError, ValueError):
        organisation = None
    if organisation is None:
        raise ValidationFailed.field(field, "机构不存在 / organisation not found")
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
        errors["amount"] = "必填 / required"
    number = str(raw.get("registration_number") or "").strip()
    if not number or len(number) > 64:
        errors["registration_number"] = "须填写质押登记号（≤64字）/ a registration number (≤64 characters) is required"
    values["registration_number"] = number
    if "term_start" in values and "term_end" in values and values["term_end"] <= values["term_start"]:
        errors["term_end"] = "须晚于起始日 / must be after the start"
    if values.get("registered_on") and values["registered_on"] > today:
        errors["registered_on"] = "不能晚于今天 / may not be in the future"
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    values["co_owner_consents"] = split_names(raw.get("co_owner_consents"))
    values["open_license_consent"] = _flag(raw.get("open_license_consent"))
    if values["open_license_consent"]:
        values["open_license_consent_on"] = values["registered_on"]
        reference = str(raw.get("open_license_consent_reference") or "").strip()[:200]
        values["open_license_consent_reference"] = reference or None
    return values


def register_pledge(user: User, raw: Mapping[str, Any]) -> Pledge:
    """Record a registered pledge, as its pledgor, its pledgee (a bank) or the agency that brokered it."""
    organisation = require_organisation(user)
    pledgor = _organisation(raw.get("pledgor_id"), "pledgor_id")
    pledgee = _organisation(raw.get("pledgee_id"), "pledgee_id")
    if pledgee.kind != OrganisationKind.BANK:
        raise ValidationFailed.field("pledgee_id", "质权人须为银行机构 / the pledgee must be a bank")
    agency = organisation if organisation.kind == OrganisationKind.AGENCY else None
    if organisation.id not in (pledgor.id, pledgee.id) and agency is None:
        raise ValidationFailed.field("pledgor_id", "须为出质人、质权人或经办机构 / "
                                                   "you must be the pledgor, the pledgee or the brokering agency")
    today = local_today()
    values = _values(raw, today)
    patent_ids = parse_ids(raw.get("patent_ids"))
    patents = lock_patents(patent_ids)
    if not patent_ids or len(patents) != len(patent_ids):
        raise ValidationFailed.field("patent_ids",
                                     "须选择至少一件存在的专利 / at least one existing patent is required")
    refusals: list[tuple[str, Refusal]] = []
    for patent in patents:
        refusals += [(patent.application_number, r) for r in pledge_refusals(
            patent_facts(patent, today), pledgor_is_patentee=patent.owner_id == pledgor.id,
            term_end=values["term_end"], co_owner_consents=values["co_owner_consents"],
            open_license_consent=values["open_license_consent"], today=today)]
    if refusals:
        raise Ineligible("不能办理质押登记 / the pledge cannot be registered", refusals)
    if db.session.scalar(select(Pledge.id).where(Pledge.registration_number == values["registration_number"])):
        raise Conflict("质押登记号已存在 / registration number already recorded",
                       {"registration_number": "already recorded"})
    pledge = Pledge(pledgor_id=pledgor.id, pledgee_id=pledgee.id, agency_id=agency.id if agency else None,
                    created_by_id=user.id, patent_links=[PledgePatent(patent_id=p.id) for p in patents], **values)
    try:
        with db.session.begin_nested():
            db.session.add(pledge)
            db.session.flush()
    except IntegrityError:
        raise Ineligible("不能办理质押登记 / the pledge cannot be registered",
                         [("", Refusal("already_pledged"))]) from None
    record_audit("pledge.registered", ENTITY, pledge.id,
                 {"amount": pledge.amount, "patent_ids": patent_ids, "registration_number": pledge.registration_number},
                 actor=user)
    for patent in patents:
        recheck_patent(patent.id)
    return pledge


def get_pledge(user: User, pledge_id: int) -> Pledge:
    """A pledge seen by its pledgor, pledgee, agency and platform admins; 404 for anyone else."""
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or not (user.is_platform_admin or user.organisation_id in pledge.party_ids()):
        raise NotFound("质押不存在 / pledge not found")
    return pledge


def _party_pledge(user: User, pledge_id: int) -> Pledge:
    pledge = get_pledge(user, pledge_id)
    if user.organisation_id not in pledge.party_ids():
        raise NotFound("质押不存在 / pledge not found")
    return pledge


def release_pledge(user: User, pledge_id: int, released_on: Any = None) -> Pledge:
    """Record the release (注销); the patents may then be pledged again and their open licenses re-checked."""
    pledge = _party_pledge(user, pledge_id)
    if not pledge.is_active:
        raise Conflict("质押已注销 / the pledge is already released")
    today = local_today()
    released = require_date(released_on, "released_on", today)
    if released > today or released < pledge.registered_on:
        raise ValidationFailed.field("released_on",
                                     "注销日期须在登记日与今天之间 / must lie between registration and today")
    pledge.status = PledgeStatus.RELEASED
    pledge.released_on = released
    for link in pledge.patent_links:
        link.active = False
    db.session.flush()
    record_audit("pledge.released", ENTITY, pledge.id, {"released_on": released}, actor=user)
    for link in pledge.patent_links:
        recheck_patent(link.patent_id)
    return pledge


def record_open_license_consent(user: User, pledge_id: int, consent_on: Any = None, reference: str = "") -> Pledge:
    """The pledgee's written consent that the pledged patents may be (or stay) under open license."""
    pledge = _party_pledge(user, pledge_id)
    if user.organisation_id == pledge.pledgor_id:
        raise Forbidden("须由质权人或经办机构登记质权人的书面同意 / "
                        "the pledgee's consent is recorded by the pledgee or the agency")
    if not pledge.is_active:
        raise Conflict("质押已注销 / the pledge is already released")
    if pledge.open_license_consent:
        raise Conflict("已登记质权人同意 / the pledgee's consent is already recorded")
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
        stmt = stmt.where(or_(Pledge.pledgor_id == org_id, Pledge.pledgee_id == org_id, Pledge.agency_id == org_id))
    if filters.get("status"):
        try:
            stmt = stmt.where(Pledge.status == PledgeStatus(filters["status"]))
        except ValueError:
            raise ValidationFailed.field("status", "应为 registered 或 released / registered or released") from None
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = list(db.session.scalars(
        stmt.options(selectinload(Pledge.patent_links).selectinload(PledgePatent.patent),
                     selectinload(Pledge.pledgor), selectinload(Pledge.pledgee))
        .order_by(Pledge.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return items, total
