"""Demo pricing story: concluded deals around one of the university's patents, so its pricing page and its
open-license declaration form show a range over their comparables.

Called by ``marketplace.demo.seed`` after the money story and before the office story (whose approval workflow
would otherwise gate the university's signature). The institute licensed patents of the same industry segment
over the past four years, through the demo agency, and the university once itself; the institute also
declared open licenses with lump sums that companies obtained and paid. Every deal goes through the deal and
open-license services, signed and confirmed by each party in its own account.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.consents.demo import approve_as
from marketplace.core.dates import local_today
from marketplace.deals import services as deals
from marketplace.extensions import db
from marketplace.fees.demo import _unused
from marketplace.legal.eligibility import open_license_refusals
from marketplace.legal.term import add_months
from marketplace.openlicense import licensing, payments, services as openlicense
from marketplace.openlicense.facts import patent_facts
from marketplace.patents.models import Patent, PatentSegment

SEGMENT = "TM-H11"
# (seller key, buyer key, amount, months ago) — ordinary licenses through the agency
LICENSES = [("inst", "comp1", "120000.00", 46), ("inst", "comp2", "180000.00", 40), ("univ1", "comp3", "95000.00", 34),
            ("univ1", "comp4", "150000.00", 30), ("univ1", "comp5", "135000.00", 26)]
# (licensee key, lump sum) — open licenses of the institute obtained and paid this year
OPEN_LICENSES = [("comp1", "30000.00"), ("comp2", "45000.00"), ("comp3", "25000.00"), ("comp4", "40000.00"),
                 ("comp5", "35000.00")]


def _in_segment(owner: User, today: date) -> list[Patent]:
    """The owner's unused patents of ``SEGMENT`` that may take a three-year open license, longest term first."""
    in_segment = set(db.session.scalars(select(PatentSegment.patent_id).where(PatentSegment.segment_code == SEGMENT)))
    found = [patent for patent in _unused(list(db.session.scalars(
                 select(Patent).where(Patent.owner_id == owner.organisation_id).order_by(Patent.id))))
             if patent.id in in_segment and patent.expiry and patent.expiry > add_months(today, 36)
             and not open_license_refusals(patent_facts(patent, today), today)]
    return sorted(found, key=lambda patent: patent.expiry or today, reverse=True)


def seed_pricing_story(users: dict[str, User]) -> dict[str, Any]:
    """Create the comparables; {} when the demo patents lack enough of the segment."""
    today = local_today()
    stock = {"inst": _in_segment(users["inst"], today), "univ1": _in_segment(users["univ1"], today)}
    if len(stock["inst"]) < 7 or len(stock["univ1"]) < 4:
        return {}
    target = stock["univ1"].pop(0)
    for seller, buyer, amount, months in LICENSES:
        patent = stock[seller].pop()
        day = add_months(today, -months)
        deal = deals.record_deal(users["agency"], {
            "mode": "license", "license_kind": "ordinary", "seller_id": users[seller].organisation_id,
            "buyer_id": users[buyer].organisation_id, "patent_ids": [patent.id], "amount": amount,
            "contract_date": day.isoformat(), "term_start": day.isoformat(),
            "term_end": add_months(day, 36).isoformat(), "status": "signed",
            "title": f"{patent.title[:40]}（许可）"})
        approve_as([users[seller], users[buyer]], "deal", deal.id)
    for patent, (licensee, fee) in zip(stock["inst"], OPEN_LICENSES):
        declaration = openlicense.save_declaration(users["inst"], patent.id, {
            "payment_method": "lump_sum", "fixed_fee": fee, "term_start": today.isoformat(),
            "term_end": add_months(today, 36).isoformat(), "contact_name": "成果转化处",
            "contact_email": users["inst"].email, "commitment": True,
            "fee_explanation": "演示数据：一次性付费，参照同领域成交价确定。"}, publish=True)
        grant = licensing.accept_open_license(users[licensee], declaration.id)
        payment = payments.record_payment(users[licensee], grant.id, {"amount": fee, "reference": f"KF{grant.id:05d}"})
        approve_as([users["inst"]], "license_payment", payment.id)
    db.session.flush()
    return {"pricing_comparables": len(LICENSES) + len(OPEN_LICENSES), "pricing_patent": target.id}
