"""Obtaining a license through an open license: written notice, payment schedule, payments, recordal.

Patent Law art. 51: a company obtains the license by written notice to the
patentee and payment as declared. The platform records the notice (printable
as the written notice), builds the payment schedule — a "use first, pay later"
(先使用后付费) declaration puts every due date after its trial period — and
marks the license effective once nothing due on the notice date is unpaid, as
the licensor confirmed (``openlicense.payments``). The licensee is reminded
to record (备案) it within 3 months.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import OrganisationKind, User
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today, require_date
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.mail import queue_mail
from marketplace.push.notify import address_locale
from marketplace.core.outbox import record_change
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.core.text import require_plain
from marketplace.extensions import db
from marketplace.legal.conflicts import OPEN_GRANT, LicenseTerm, license_conflicts
from marketplace.legal.refusals import Ineligible
from marketplace.legal.term import add_months
from marketplace.openlicense.facts import license_terms, lock_patents
from marketplace.openlicense.models import (
    DeclarationStatus, LicenseGrant, OpenLicenseDeclaration, PaymentInstallment,
)
from marketplace.openlicense.services import ENTITY, lock_declaration
from marketplace.openlicense.terms import split_evenly

LICENSEE_KINDS = (OrganisationKind.COMPANY, OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE)
ROYALTY_PERIOD_MONTHS = 12
ROYALTY_REPORT_DAYS = 30  # a royalty period is reported, and its royalty paid, within 30 days of its end


def build_schedule(declaration: OpenLicenseDeclaration, notice_date: date) -> list[PaymentInstallment]:
    """The due dates of one license, in date order.

    The fixed fee (lump sum or entry fee) falls due on the notice date, or
    after the trial period, split into the declared installments to the cent;
    none falls due after the term ends. Royalties are owed for each year of
    use after the trial (the last period ends with the term): each period is
    reported, and its royalty paid, within ``ROYALTY_REPORT_DAYS`` of its end.
    """
    first_due = add_months(notice_date, declaration.trial_months)
    end = declaration.term_end
    items: list[tuple[date, str, Decimal | None, date | None]] = []
    if declaration.fixed_fee > 0:
        for index, amount in enumerate(split_evenly(declaration.fixed_fee, declaration.installments)):
            due = add_months(first_due, index * declaration.installment_interval_months)
            items.append((min(due, end), "fee", amount, None))
    if declaration.payment_method.has_royalty:
        start, period = first_due, 1
        while start < end:
            following = add_months(first_due, period * ROYALTY_PERIOD_MONTHS)
            last_day = following - timedelta(days=1) if following < end else end
            items.append((last_day + timedelta(days=ROYALTY_REPORT_DAYS), "royalty", None, last_day))
            start, period = following, period + 1
    items.sort(key=lambda item: (item[0], item[1] != "fee"))
    return [PaymentInstallment(sequence=n, due_date=due, kind=kind, amount=amount, period_end=period_end)
            for n, (due, kind, amount, period_end) in enumerate(items, start=1)]


def update_effect(grant: LicenseGrant, on: date) -> None:
    """Effective once every installment due on the notice date is settled by confirmed payments (at once when
    none is due)."""
    if grant.effective_on is None and all(i.is_settled for i in grant.installments if i.due_date <= grant.notice_date):
        grant.effective_on = max(on, grant.notice_date)


def accept_open_license(user: User, declaration_id: int) -> LicenseGrant:
    """Record the licensee's written notice; the license is effective now or once the fee is paid.

    Non-exclusive: any number of companies may accept at once (the declaration
    is only share-locked); one organisation accepts a declaration once.
    """
    organisation = require_organisation(user, LICENSEE_KINDS)
    patent_id = db.session.scalar(select(OpenLicenseDeclaration.patent_id)
                                  .where(OpenLicenseDeclaration.id == declaration_id))
    lock_patents([patent_id] if patent_id else [], shared=True)  # no exclusive license signed meanwhile
    declaration = lock_declaration(declaration_id, shared=True)
    if declaration.status != DeclarationStatus.PUBLISHED:
        raise Conflict(_("该开放许可未公告或已撤回、已终止"), {"declaration": declaration.status.value})
    if declaration.owner_id == organisation.id:
        raise Conflict(_("专利权人不能许可给自己"))
    if declaration.needs_withdrawal:
        raise Conflict(_("该专利目前不符合开放许可条件，暂停受理：%(reasons)s",
                         reasons="; ".join(declaration.flag_messages)), {"declaration": "suspended"})
    today = local_today()
    if today >= declaration.term_end:
        raise Conflict(_("开放许可期限已届满"))
    conflicts = license_conflicts(LicenseTerm(OPEN_GRANT, today, declaration.term_end, organisation.id),
                                  license_terms(declaration.patent_id))
    if conflicts:
        raise Ineligible(_("不能获得该许可"), [(declaration.patent.application_number, r) for r in conflicts])
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
        raise Conflict(_("本机构已获得该开放许可")) from None
    update_effect(grant, today)
    record_audit("license.accepted", "license", grant.id,
                 {"declaration_id": declaration.id, "licensee_id": organisation.id, "effective_on": grant.effective_on},
                 actor=user)
    record_change(ENTITY, declaration.id)
    recipient = declaration.contact_email or declaration.owner.contact_email
    if recipient:
        with force_locale(address_locale(declaration.owner_id, recipient)):
            subject = _("开放许可实施通知：%(title)s", title=declaration.patent.title)
            body = _("%(licensee)s 于 %(date)s 书面通知：依据贵方公告的开放许可声明，实施专利 %(number)s《%(title)s》。\n",
                     licensee=organisation.name, date=today.isoformat(),
                     number=declaration.patent.application_number, title=declaration.patent.title)
        queue_mail(recipient, subject, body)
    return grant


def get_license(user: User, license_id: int) -> LicenseGrant:
    """A license seen by its licensee, its licensor or a platform admin (404 for anyone else)."""
    return get_visible(user, LicenseGrant, license_id, lambda grant: (grant.licensee_id, grant.licensor_id),
                       _("许可不存在"))


def party_license(user: User, license_id: int) -> LicenseGrant:
    """A license its licensee or licensor acts on (platform admins read, never act)."""
    grant = get_license(user, license_id)
    if user.organisation_id not in (grant.licensee_id, grant.licensor_id):
        raise NotFound(_("许可不存在"))
    return grant


def past_date(raw: Any, field: str, today: date) -> date:
    value = require_date(raw, field, today)
    if value > today:
        raise ValidationFailed.field(field, _("不能晚于今天"))
    return value


def record_recordal(user: User, license_id: int, number: str, recorded_on: Any = None) -> LicenseGrant:
    """Enter the CNIPA recordal (备案) number, which also earns the 15 % annual-fee reduction."""
    grant = party_license(user, license_id)
    number = require_plain((number or "").strip(), "recordal_number")
    if not number or len(number) > 64:
        raise ValidationFailed.field("recordal_number", _("须填写备案号（≤64字）"))
    if grant.recordal_number:
        raise Conflict(_("已登记备案号"))
    grant.recorded_on = past_date(recorded_on, "recorded_on", local_today())
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
