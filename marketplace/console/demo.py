"""Demo ledger for the agency console: what the demo agency brokered last year and this year.

Everything goes through the services (agency relationships, deals, open
licenses and their payment, pledges, targets, events), so the demo exercises
the same rules as real use. The demo university and company accepted the
agency; the agency asked the third company, which never accepted, so none of
its data reaches the agency. Amounts and dates are illustrative; patents are
the demo's real records. The targets are the seeds' figures (DOMAIN.md §6).
"""
from __future__ import annotations

from typing import Any

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.agencies import services as agencies
from marketplace.console import events, targets
from marketplace.consents.demo import approve_as
from marketplace.deals import services as deals
from marketplace.extensions import db
from marketplace.openlicense import licensing, payments
from marketplace.openlicense import services as openlicense
from marketplace.legal.term import add_months
from marketplace.core.dates import local_today
from marketplace.patents.models import Patent
from marketplace.patents.vocab import LegalStatus, PatentType
from marketplace.openlicense.models import OpenLicenseDeclaration
from marketplace.pledges import services as pledges
from marketplace.pledges.models import PledgePatent

# (mode, seller key, buyer key, amount) — spread over the year up to today
THIS_YEAR = [("license", "univ1", "comp1", "380000.00"), ("transfer", "univ2", "comp2", "1200000.00"),
             ("license", "inst", "comp3", "150000.00"), ("equity", "univ1", "comp1", "2000000.00"),
             ("license", "univ2", "comp2", "90000.00"), ("transfer", "inst", "comp1", "640000.00")]
LAST_YEAR = [("license", "univ1", "comp3", "260000.00"), ("transfer", "univ2", "comp1", "900000.00"),
             ("license", "inst", "comp2", "120000.00"), ("license", "univ1", "comp2", "75000.00")]
OPEN_LICENSES: list[tuple[str, str, dict[str, Any]]] = [("univ1", "comp1", {"payment_method": "lump_sum", "fixed_fee": "30000.00"}),
                 ("univ1", "comp2", {"payment_method": "royalty_sales", "royalty_rate": "3.00"}),
                 ("univ2", "comp3", {"payment_method": "free"}),
                 # use first, pay later: in force at once, its entry fee unpaid, so listed apart, not counted
                 ("univ1", "comp1", {"payment_method": "entry_fee_royalty", "fixed_fee": "60000.00",
                                     "royalty_rate": "2.00", "trial_months": 6})]
# (organisation key, permissions it grants): accepted; then one the agency asked that never accepted
AUTHORISED = [("univ1", ["open_licenses", "funnel", "confirm_payments"]), ("comp1", ["open_licenses", "funnel"])]
NEVER_ACCEPTED = "comp3"
# (pledgor key, amount, this year?)
PLEDGES = [("univ2", "5000000.00", True), ("inst", "3000000.00", True), ("univ2", "2500000.00", False),
           ("inst", "1500000.00", False)]
TARGETS = {"conversion_count": 50, "conversion_amount": "5000000.00", "transfer_license_count": 20,
           "open_license_count": 10, "pledge_count": 5, "pledge_amount": "20000000.00", "pledge_growth_pct": "20",
           "sme_growth_pct": "20", "events_count": 2, "organisations_served": 30}


def _spread(start: date, end: date, count: int) -> list[date]:
    span = (end - start).days
    return [start + timedelta(days=span * (i + 1) // (count + 1)) for i in range(count)]


def _usable_patents(owner: User, today: date) -> list[Patent]:
    """Granted inventions with over four years left: every deal, open-license and pledge rule can pass on them."""
    engaged = set(db.session.scalars(select(OpenLicenseDeclaration.patent_id))) | set(
        db.session.scalars(select(PledgePatent.patent_id)))  # the open-license story's patents stay as they are
    return [patent for patent in db.session.scalars(select(Patent).where(
                Patent.owner_id == owner.organisation_id, Patent.legal_status == LegalStatus.GRANTED,
                Patent.patent_type == PatentType.INVENTION, Patent.application_date.is_not(None)).order_by(Patent.id))
            if not patent.co_owners and not patent.proceedings_suspended and patent.id not in engaged
            and patent.application_date.replace(year=patent.application_date.year + 20) > today + timedelta(days=1500)]


def seed_agency_relationships(users: dict[str, User]) -> int:
    """The demo university and company accept the agency (it asks, they accept in their own accounts); the
    third company is asked too and never answers."""
    agency = users["agency"]
    for key, permissions in AUTHORISED:
        asked = agencies.request_relationship(agency, {"organisation_id": users[key].organisation_id,
                                                       "permissions": permissions,
                                                       "message": "为贵单位提供专利转化运营服务。"})
        agencies.accept_relationship(users[key], asked.id, {"permissions": permissions})
    agencies.request_relationship(agency, {"organisation_id": users[NEVER_ACCEPTED].organisation_id,
                                           "permissions": ["open_licenses"], "message": "希望为贵公司提供服务。"})
    return len(AUTHORISED)


def seed_agency_volume(users: dict[str, User]) -> dict[str, int]:
    """The demo agency's relationships; deals, open licenses and pledges it brokered or may see; its targets
    and one event; a deal still in negotiation (listed apart from the figures)."""
    today = local_today()
    agency = users["agency"]
    served = seed_agency_relationships(users)
    stock = {key: _usable_patents(users[key], today) for key in ("univ1", "univ2", "inst")}

    def take(key: str) -> Patent:
        return stock[key].pop(0)

    recorded = []
    year_start = today.replace(month=1, day=1)
    last_year = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    plan = [(row, day) for row, day in zip(THIS_YEAR, _spread(year_start, today, len(THIS_YEAR)))]
    plan += [(row, day) for row, day in zip(LAST_YEAR, _spread(*last_year, len(LAST_YEAR)))]
    for (mode, seller, buyer, amount), day in plan:
        patent = take(seller)
        deal = deals.record_deal(agency, {
            "mode": mode, "license_kind": "ordinary" if mode == "license" else None,
            "seller_id": users[seller].organisation_id, "buyer_id": users[buyer].organisation_id,
            "patent_ids": [patent.id], "amount": amount, "contract_date": day.isoformat(), "status": "signed",
            "title": f"{patent.title[:40]}（{'许可' if mode == 'license' else '转让' if mode == 'transfer' else '作价入股'}）"})
        approve_as([users[seller], users[buyer]], "deal", deal.id)  # each party signs in its own account
        recorded.append(deal)

    patent = take("univ1")
    deals.record_deal(agency, {
        "mode": "license", "license_kind": "ordinary", "seller_id": users["univ1"].organisation_id,
        "buyer_id": users["comp2"].organisation_id, "patent_ids": [patent.id], "amount": "180000.00",
        "title": f"{patent.title[:40]}（许可，洽谈中）"})

    for owner, licensee, terms in OPEN_LICENSES:
        patent = take(owner)
        expiry = patent.application_date.replace(year=patent.application_date.year + 20)
        declaration = openlicense.save_declaration(users[owner], patent.id, {
            **terms, "term_start": today.isoformat(), "term_end": min(add_months(today, 36), expiry).isoformat(),
            "contact_name": "技术转移办公室", "contact_email": users[owner].email, "commitment": True,
            "fee_explanation": "演示数据：按评估价值确定。"}, publish=True)
        grant = licensing.accept_open_license(users[licensee], declaration.id)
        if terms.get("fixed_fee") and not terms.get("trial_months"):
            payment = payments.record_payment(users[licensee], grant.id, {"amount": terms["fixed_fee"],
                                                                          "reference": f"HK{today:%Y%m%d}{grant.id:03d}"})
            approve_as([users[owner]], "license_payment", payment.id)  # the licensor confirms receipt

    for number, (pledgor, amount, this_year) in enumerate(PLEDGES, start=1):
        patent = take(pledgor)
        registered = _spread(year_start, today, 2)[number % 2] if this_year \
            else _spread(*last_year, 2)[number % 2]
        pledge = pledges.register_pledge(agency, {
            "pledgor_id": users[pledgor].organisation_id, "pledgee_id": users["bank"].organisation_id,
            "patent_ids": [patent.id], "amount": amount, "term_start": registered.isoformat(),
            "term_end": (registered + timedelta(days=730)).isoformat(), "registered_on": registered.isoformat(),
            "registration_number": f"Y{registered.year}52100{number:04d}"})
        approve_as([users[pledgor], users["bank"]], "pledge", pledge.id)

    targets.create_targets(agency, {"year": today.year, **TARGETS})
    held_on = _spread(year_start, today, 1)[0]
    event = events.create_event(agency, {
        "title": "新能源与新材料专利供需对接会（演示）", "held_on": held_on, "online": False,
        "place": "贵阳市观山湖区 贵州知识产权运营中心", "segments": ["TM-F1", "TM-D"],
        "invited_organisation_ids": [users[k].organisation_id for k in ("comp1", "comp2", "comp3", "univ2")],
        "description": "面向新能源、新材料企业的高校专利推介与洽谈。"})
    events.record_attendance(agency, event.id, {"attended": [users["comp1"].organisation_id,
                                                             users["comp2"].organisation_id],
                                                "absent": [users["comp3"].organisation_id]})
    events.add_outcome(agency, event.id, {"kind": "deal", "deal_id": recorded[0].id, "note": "会上达成许可意向"})
    events.add_outcome(agency, event.id, {"kind": "interest", "organisation_id": users["comp2"].organisation_id,
                                          "note": "对锂电池负极材料专利感兴趣"})
    return {"deals": len(recorded), "open_licenses": len(OPEN_LICENSES), "pledges": len(PLEDGES), "events": 1,
            "organisations_served": served}
