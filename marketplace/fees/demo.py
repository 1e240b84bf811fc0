"""Demo money story: a royalty license whose first year was reported, the university's annual fees with its
fee-reduction status, and a D-grade patent with an open license to review.

Called by ``marketplace.demo.seed`` after the open-license story. The
royalty license is backdated thirteen months (notice and schedule) so its
first period has ended: the company reported its net sales and the payment
of the royalty waits for the university's confirmation, as the README
walkthrough shows. The ledger is written as the periodic job would write it.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.deals.models import DealPatent
from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.fees import ledger
from marketplace.fees.models import AnnualFee
from marketplace.legal.term import add_months
from marketplace.openlicense import licensing, payments, services
from marketplace.openlicense.demo import SUPPLIERS, _eligible_patents
from marketplace.openlicense.models import OpenLicenseDeclaration
from marketplace.patents.models import Patent
from marketplace.patents.vocab import LegalStatus
from marketplace.royalties import services as royalties


def _unused(patents: list[Patent]) -> list[Patent]:
    """The patents no declaration or deal of the open-license story uses."""
    ids = [patent.id for patent in patents]
    used = set(db.session.scalars(select(OpenLicenseDeclaration.patent_id)
                                  .where(OpenLicenseDeclaration.patent_id.in_(ids))))
    used |= set(db.session.scalars(select(DealPatent.patent_id).where(DealPatent.patent_id.in_(ids))))
    return [patent for patent in patents if patent.id not in used]


def _date_the_grants(owner: User, today: date) -> int:
    """The demo records know only the filing year of the owner's patents in force and no grant date: give each a
    filing day in that year whose anniversary falls in the coming four weeks, and a grant three years later,
    so the ledger has fees due this quarter (as an owner would enter them from its certificates)."""
    dated = 0
    for index, patent in enumerate(db.session.scalars(
            select(Patent).where(Patent.owner_id == owner.organisation_id, Patent.grant_date.is_(None),
                                 Patent.application_date.is_not(None), Patent.legal_status == LegalStatus.GRANTED)
            .order_by(Patent.id))):
        if patent.expiry is None or patent.expiry <= today:
            continue
        anniversary = today + timedelta(days=1 + (index * 3) % 28)
        patent.application_date = date(patent.application_date.year, anniversary.month, min(anniversary.day, 28))
        patent.grant_date = add_months(patent.application_date, 36)
        dated += 1
    db.session.flush()
    return dated


def seed_money_story(users: dict[str, User]) -> dict[str, int]:
    """Create the money story from the demo ``users``; {} when no supplier has two patents left to use."""
    today = local_today()
    found = ((users[key], _unused(_eligible_patents(users[key], today, 12))) for key in SUPPLIERS if key in users)
    university, patents = next(((owner, chosen[:2]) for owner, chosen in found if len(chosen) >= 2), (None, []))
    if university is None:
        return {}
    royalty_patent, dropped = patents
    _date_the_grants(university, today)
    licensee = users["comp2"]
    contact: dict[str, Any] = {"contact_name": "技术转移中心", "contact_phone": "0851-8888 6666",
                               "contact_email": university.organisation.contact_email, "commitment": True,
                               "term_start": today, "term_end": add_months(today, 36)}
    declaration = services.save_declaration(university, royalty_patent.id, {
        **contact, "payment_method": "royalty_sales", "royalty_rate": "3.50",
        "fee_explanation": "按年度净销售额的3.5%支付提成；每个年度结束后30日内申报销售额并支付。"}, publish=True)
    grant = licensing.accept_open_license(licensee, declaration.id)
    grant.notice_date = grant.effective_on = add_months(today, -13)  # its first royalty year has ended
    grant.installments = licensing.build_schedule(declaration, grant.notice_date)
    db.session.flush()
    report = royalties.file_report(licensee, grant.id, {"base_amount": "2860000.00", "units": "1300",
                                                        "note": "第一年度净销售额（演示）"})
    payments.record_payment(licensee, grant.id, {"amount": str(report.royalty), "reference": "HK-DEMO-0001"})
    dropped.grade = "D"
    services.save_declaration(university, dropped.id, {
        **contact, "payment_method": "free", "fee_explanation": "免费许可，拟不再维持（演示）。"}, publish=True)
    ledger.set_reduction_status(university, {"reference": f"FJ{today.year}5200001",
                                             "recorded_on": add_months(today, -6)})
    ledger.sync_patents(None, today)
    return {"royalty_reports": 1, "annual_fees": db.session.scalar(select(func.count()).select_from(AnnualFee)) or 0}
