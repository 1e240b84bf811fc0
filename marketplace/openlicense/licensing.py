"""Obtaining a license through an open license: written notice, payment schedule, payments, recordal.

Patent Law art. 51: a company obtains the license by written notice to the
patentee and payment as declared. The platform records the notice (printable
as the written notice), builds the payment schedule — a "use first, pay later"
(先使用后付费) declaration puts every due date after its trial period — and
marks the license effective once nothing due on the notice date is unpaid.
The licensee is reminded to record (备案) it within 3 months.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import OrganisationKind, User
from marketplace.core.audit import record_audit
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.mail import queue_mail
from marketplace.core.money import format_cny, parse_money
from marketplace.core.outbox import record_change
from marketplace.core.permissions import require_organisation
from marketplace.core.text import require_plain
from marketplace.extensions import db
from marketplace.openlicense.eligibility import add_months
from marketplace.core.dates import local_today, require_date
from marketplace.openlicense.models import (
    DeclarationStatus, LicenseGrant, LicensePayment, OpenLicenseDeclaration, PaymentInstallment,
)
from marketplace.openlicense.services import ENTITY, lock_declaration
from marketplace.openlicense.terms import split_evenly

LICENSEE_KINDS = (OrganisationKind.COMPANY, OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE)
ROYALTY_PERIOD_MONTHS = 12


def build_schedule(declaration: OpenLicenseDeclaration, notice_date: date) -> list[PaymentInstallment]:
    """The due dates of one license, in date order.

    The fixed fee (lump sum or entry fee) falls due on the notice date, or
    after the trial period, split into the declared installments to the cent.
    Royalties fall due at the end of each year of use after the trial, and at
    the end of the term. Nothing falls due after the term ends.
    """
    first_due = add_months(notice_date, declaration.trial_months)
    end = declaration.term_end
    items: list[tuple[date, str, Decimal | None]] = []
    if declaration.fixed_fee > 0:
        for index, amount in enumerate(split_evenly(declaration.fixed_fee, declaration.installments)):
            due = add_months(first_due, index * declaration.installment_interval_months)
            items.append((min(due, end), "fee", amount))
    if declaration.payment_method.has_royalty:
        period = 1
        while (due := add_months(first_due, period * ROYALTY_PERIOD_MONTHS)) < end:
            items.append((due, "royalty", None))
            period += 1
        if first_due < end:
            items.append((end, "royalty", None))
    items.sort(key=lambda item: (item[0], item[1] != "fee"))
    return [PaymentInstallment(sequence=n, due_date=due, kind=kind, amount=amount)
            for n, (due, kind, amount) in enumerate(items, start=1)]


def _update_effect(grant: LicenseGrant, on: date) -> None:
    """Effective once every installment due on the notice date is settled (at once when none is)."""
    if grant.effective_on is None and all(i.is_settled for i in grant.installments if i.due_date <= grant.notice_date):
        grant.effective_on = max(on, grant.notice_date)


def accept_open_license(user: User, declaration_id: int) -> LicenseGrant:
    """Record the licensee's written notice; the license is effective now or once the fee is paid.

    Non-exclusive: any number of companies may accept at once (the declaration
    is only share-locked); one organisation accepts a declaration once.
    """
    organisation = require_organisation(user, LICENSEE_KINDS)
    declaration = lock_declaration(declaration_id, shared=True)
    if declaration.status != DeclarationStatus.PUBLISHED:
        raise Conflict("该开放许可未公告或已撤回 / the open license is not (or no longer) declared")
    if declaration.owner_id == organisation.id:
        raise Conflict("专利权人不能许可给自己 / the patentee cannot license to itself")
    if declaration.needs_withdrawal:
        raise Conflict("该专利目前不符合开放许可条件，暂停受理：" + "; ".join(declaration.flag_messages) +
                       " / the patent no longer qualifies for open license", {"declaration": "needs withdrawal"})
    today = local_today()
    if today >= declaration.term_end:
        raise Conflict("开放许可期限已届满 / the open license term has ended")
    grant = LicenseGrant(declaration_id=declaration.id, patent_id=declaration.patent_id,
                         licensor_id=declaration.owner_id, licensee_id=organisation.id,
                         fee_type=declaration.payment_method.fee_type, fixed_fee=declaration.fixed_fee,
                         notice_date=today, term_end=declaration.term_end, accepted_by_id=user.id,
                         installments=build_schedule(declaration, today))
    try:
        with db.session.begin_nested():
            db.session.add(grant)
            db.session.flush()
    except IntegrityError:
        raise Conflict("本机构已获得该开放许可 / your organisation already holds this license") from None
    _update_effect(grant, today)
    record_audit("license.accepted", "license", grant.id,
                 {"declaration_id": declaration.id, "licensee_id": organisation.id, "effective_on": grant.effective_on},
                 actor=user)
    record_change(ENTITY, declaration.id)
    recipient = declaration.contact_email or declaration.owner.contact_email
    if recipient:
        queue_mail(recipient, f"开放许可实施通知：{declaration.patent.title} / open license notice",
                   f"{organisation.name} 于 {today.isoformat()} 书面通知：依据贵方公告的开放许可声明，"
                   f"实施专利 {declaration.patent.application_number}《{declaration.patent.title}》。\n")
    return grant


def get_license(user: User, license_id: int) -> LicenseGrant:
    """A license seen by its licensee, its licensor or a platform admin (404 for anyone else)."""
    grant = db.session.get(LicenseGrant, license_id)
    if grant is None or not (user.is_platform_admin or user.organisation_id in (grant.licensee_id, grant.licensor_id)):
        raise NotFound("许可不存在 / license not found")
    return grant


def _party_license(user: User, license_id: int) -> LicenseGrant:
    grant = get_license(user, license_id)
    if user.organisation_id not in (grant.licensee_id, grant.licensor_id):
        raise NotFound("许可不存在 / license not found")
    return grant


def _past_date(raw: Any, field: str, today: date) -> date:
    value = require_date(raw, field, today)
    if value > today:
        raise ValidationFailed.field(field, "不能晚于今天 / may not be in the future")
    return value


def record_payment(user: User, license_id: int, raw: Mapping[str, Any]) -> LicensePayment:
    """Record money paid, against a given installment or the earliest unsettled one.

    A fixed installment refuses more than is outstanding, so the payments of a
    license never exceed what was declared; royalty periods take the amount
    reported. Licensee or licensor may record; the audit trail says who.
    """
    grant = _party_license(user, license_id)
    today = local_today()
    amount = parse_money(raw.get("amount"), "amount", allow_zero=False)
    paid_on = _past_date(raw.get("paid_on"), "paid_on", today)
    reference = str(raw.get("reference") or "").strip()[:100] or None
    if raw.get("installment_id") not in (None, ""):
        installment = next((i for i in grant.installments if str(i.id) == str(raw["installment_id"])), None)
        if installment is None:
            raise ValidationFailed.field("installment_id", "不是该许可的付款期 / not an installment of this license")
        if installment.is_settled and installment.amount is not None:
            raise Conflict("该期已付清 / this installment is already paid", {"installment_id": "already paid"})
    else:
        installment = next((i for i in grant.installments if not i.is_settled), None)
        if installment is None:
            raise Conflict("没有待付款项 / nothing is due on this license", {"amount": "nothing due"})
    if installment.outstanding is not None and amount > installment.outstanding:
        raise ValidationFailed.field(
            "amount", f"超过该期应付余额 {format_cny(installment.outstanding)} / exceeds the amount outstanding")
    payment = LicensePayment(license=grant, installment=installment, amount=amount, paid_on=paid_on,
                             reference=reference, recorded_by_id=user.id)
    db.session.add(payment)
    db.session.flush()
    _update_effect(grant, paid_on)
    record_audit("license.payment_recorded", "license", grant.id,
                 {"amount": amount, "paid_on": paid_on, "installment": installment.sequence,
                  "effective_on": grant.effective_on}, actor=user)
    return payment


def record_recordal(user: User, license_id: int, number: str, recorded_on: Any = None) -> LicenseGrant:
    """Enter the CNIPA recordal (备案) number, which also earns the 15 % annual-fee reduction."""
    grant = _party_license(user, license_id)
    number = require_plain((number or "").strip(), "recordal_number")
    if not number or len(number) > 64:
        raise ValidationFailed.field("recordal_number",
                                     "须填写备案号（≤64字）/ a recordal number (≤64 characters) is required")
    if grant.recordal_number:
        raise Conflict("已登记备案号 / the recordal number is already recorded")
    grant.recorded_on = _past_date(recorded_on, "recorded_on", local_today())
    grant.recordal_number = number
    record_audit("license.recorded", "license", grant.id, {"recordal_number": number,
                                                           "recorded_on": grant.recorded_on}, actor=user)
    return grant


def licenses_of(user: User) -> list[LicenseGrant]:
    """The licenses the user's organisation holds or granted, newest first, with schedules preloaded."""
    org_id = user.organisation_id
    return list(db.session.scalars(
        select(LicenseGrant).where(or_(LicenseGrant.licensee_id == org_id, LicenseGrant.licensor_id == org_id))
        .options(selectinload(LicenseGrant.installments).selectinload(PaymentInstallment.payments),
                 selectinload(LicenseGrant.payments))
        .order_by(LicenseGrant.id.desc())))


def licenses_of_declaration(user: User, declaration: OpenLicenseDeclaration) -> list[LicenseGrant]:
    """The licensees of a declaration, for its owner and platform admins only."""
    if not (user.is_platform_admin or user.organisation_id == declaration.owner_id):
        return []
    return list(db.session.scalars(
        select(LicenseGrant).where(LicenseGrant.declaration_id == declaration.id)
        .options(selectinload(LicenseGrant.installments).selectinload(PaymentInstallment.payments),
                 selectinload(LicenseGrant.licensee))
        .order_by(LicenseGrant.id)))
