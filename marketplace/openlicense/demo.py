"""Demo ledger: the open-license, deal and pledge story the demo accounts walk through.

Called by ``marketplace.demo.seed`` with its users once the patents exist:
the university has an open license announced ("use first, pay later") that
the company accepted and recorded, a pledged patent on which a declaration is
refused with reasons, and the agency has a completed transfer and a pledge on
its books — each two-sided act consented to by the demo account of every
party. One transfer the agency prepared waits for the university's and the
company's consent, for the README walkthrough. Patents are chosen by the same
rules the services apply.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.consents.demo import approve_as
from marketplace.core.dates import local_today
from marketplace.deals import services as deals
from marketplace.extensions import db
from marketplace.legal.eligibility import open_license_refusals
from marketplace.legal.term import add_months
from marketplace.openlicense import licensing, services
from marketplace.openlicense.facts import patent_facts
from marketplace.patents.models import Patent
from marketplace.pledges import services as pledges

SUPPLIERS = ("univ1", "univ2", "inst")  # the first with three qualifying patents plays the university


def _eligible_patents(owner: User, today: date, needed: int) -> list[Patent]:
    """The owner's patents that may take an open license, a pledge or a transfer, with 5+ years left."""
    chosen: list[Patent] = []
    for patent in db.session.scalars(select(Patent).where(Patent.owner_id == owner.organisation_id)
                                     .order_by(Patent.id)):
        expiry = patent.expiry
        if expiry and expiry > add_months(today, 60) and not open_license_refusals(patent_facts(patent, today), today):
            chosen.append(patent)
            if len(chosen) == needed:
                break
    return chosen


def seed_open_license_story(users: dict[str, User]) -> dict[str, int]:
    """Create the demo ledger from the demo ``users`` (keyed as in ``marketplace.demo``); {} without patents."""
    today = local_today()
    company, agency, bank = users["comp1"], users["agency"], users["bank"]
    candidates = ((users[key], _eligible_patents(users[key], today, 4)) for key in SUPPLIERS if key in users)
    university, patents = next(((owner, found) for owner, found in candidates if len(found) == 4), (None, []))
    if university is None:
        return {}
    declared, pledged, transferred, prepared = patents
    contact = {"contact_name": "技术转移中心", "contact_phone": "0851-8888 6666",
               "contact_email": university.organisation.contact_email, "commitment": True}
    declaration = services.save_declaration(university, declared.id, {
        **contact, "payment_method": "entry_fee_royalty", "fixed_fee": "60000.00", "royalty_rate": "3.00",
        "royalty_base": "sales", "term_start": today, "term_end": add_months(today, 36), "trial_months": 6,
        "installments": 2, "installment_interval_months": 6,
        "fee_explanation": "先使用后付费：6个月试用期满后分两期支付入门费，此后按年度净销售额的3%支付提成。"},
        publish=True)
    grant = licensing.accept_open_license(company, declaration.id)
    licensing.record_recordal(company, grant.id, f"X{today.year}520000001")
    pledge = pledges.register_pledge(agency, {
        "pledgor_id": university.organisation_id, "pledgee_id": bank.organisation_id, "patent_ids": [pledged.id],
        "amount": "5000000.00", "term_start": today, "term_end": add_months(today, 36),
        "registration_number": f"Y{today.year}520000001"})
    approve_as([university, bank], "pledge", pledge.id, "同意办理质押登记")
    services.save_declaration(university, pledged.id, {
        **contact, "commitment": False, "payment_method": "lump_sum", "fixed_fee": "80000.00",
        "term_end": add_months(today, 24)})
    deal = deals.record_deal(agency, {
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": users["comp2"].organisation_id,
        "patent_ids": [transferred.id], "amount": "1200000.00", "contract_date": today, "status": "recorded",
        "recordal_number": f"ZR{today.year}520000001", "title": f"{transferred.title[:40]} 专利权转让"})
    approve_as([university, users["comp2"]], "deal", deal.id, "同意按合同转让")
    deals.update_deal(agency, deal.id, {"status": "completed"})
    approve_as([university], "deal", deal.id, "确认转让已登记完成")
    deals.record_deal(agency, {  # waits for the university's and the company's consent (README walkthrough)
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [prepared.id], "amount": "800000.00", "contract_date": today,
        "title": f"{prepared.title[:40]} 专利权转让（待双方确认）"})
    return {"open_licenses": 1, "licenses": 1, "pledges": 1, "deals": 2}
