"""Demo of the two deal modes the seeds name beside transfers and licenses: an auction and an entrusted operation.

Called by ``marketplace.demo.seed`` after the pricing story (whose comparables it must not take) and before the
rewards and office stories. The institute's patent is sold at an auction the demo agency held (recorded by the
agency, the hammer price above the reserve, signed by the institute and the winning bidder in their own
accounts); the second university entrusts two patents to the demo agency for two years, which the agency accepts
through its own account.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.consents.demo import approve_as
from marketplace.core.dates import local_date, local_today
from marketplace.deals import services as deals
from marketplace.extensions import db
from marketplace.fees.demo import _unused
from marketplace.legal.eligibility import assignment_refusals
from marketplace.legal.term import add_months
from marketplace.openlicense.facts import patent_facts
from marketplace.patents.models import Patent


def _free_patents(owner: User, count: int) -> list[Patent]:
    """The owner's published patents in force that no other story uses and that may be assigned."""
    today = local_today()
    found = [patent for patent in _unused(list(db.session.scalars(
                 select(Patent).where(Patent.owner_id == owner.organisation_id, Patent.published_at.is_not(None))
                 .order_by(Patent.id.desc()))))
             if patent.expiry and patent.expiry > add_months(today, 30)
             and not assignment_refusals(patent_facts(patent, today))]
    return found[:count]


def seed_deal_modes_story(users: dict[str, User]) -> dict[str, Any]:
    """One auction and one entrusted operation; {} when the demo patents do not allow them."""
    today = local_today()
    auctioned, entrusted = _free_patents(users["inst"], 1), _free_patents(users["univ2"], 2)
    if len(auctioned) < 1 or len(entrusted) < 2:
        return {}
    patent = auctioned[0]
    held = max(today - timedelta(days=20), local_date(patent.published_at) if patent.published_at else today)
    auction = deals.record_deal(users["agency"], {
        "mode": "auction", "seller_id": users["inst"].organisation_id, "buyer_id": users["comp4"].organisation_id,
        "patent_ids": [patent.id], "amount": "260000.00", "reserve_price": "200000.00",
        "auction_house_id": users["agency"].organisation_id, "auction_date": held.isoformat(),
        "contract_date": held.isoformat(), "status": "signed", "title": f"{patent.title[:40]}（拍卖）"})
    approve_as([users["inst"], users["comp4"]], "deal", auction.id)
    start = today - timedelta(days=60)
    operation = deals.record_deal(users["univ2"], {
        "mode": "entrusted", "seller_id": users["univ2"].organisation_id, "buyer_id": users["agency"].organisation_id,
        "patent_ids": [p.id for p in entrusted], "amount": "0.00", "fee_share": "15.00",
        "operation_scope": "在贵州省内推介、洽谈并撮合这两件专利的许可与转让；合同由学校签署。",
        "term_start": start.isoformat(), "term_end": add_months(start, 24).isoformat(), "contract_date": start.isoformat(),
        "title": "存量专利委托运营（演示）"})
    approve_as([users["agency"]], "deal", operation.id)
    db.session.flush()
    return {"auctions": 1, "entrusted_operations": 1}
