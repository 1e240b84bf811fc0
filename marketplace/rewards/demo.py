"""The demo university's inventors and rewards: the inventors named on its patents sold in binding deals, equal
shares, a 60 % policy for transfers and licenses, a recorded cost and one income's rewards paid."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.deals.models import Deal
from marketplace.deals.records import BINDING
from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.legal.rewards import HUNDRED, allocate
from marketplace.rewards import services


def seed_rewards_story(users: dict[str, User]) -> dict[str, int]:
    """Run before the office story (its workflow gates the university's later signatures)."""
    owner = users["univ1"]
    deals = list(db.session.scalars(select(Deal).where(Deal.seller_id == owner.organisation_id,
                                                       Deal.status.in_(BINDING)).order_by(Deal.id)))
    people: dict[str, int] = {}
    shared = 0
    for patent in {p.id: p for deal in deals for p in deal.patents}.values():
        names = [n for n in dict.fromkeys(patent.inventors or []) if n.strip()][:10] or ["发明人（待确认）"]
        for name in names:
            if name not in people:
                people[name] = services.add_inventor(owner, {"name": name[:100]}).id
        shares = allocate(HUNDRED, [(name, Decimal(1)) for name in names])
        services.set_shares(owner, patent.id, [{"inventor_id": people[n], "share": str(s)} for n, s in shares.items()])
        shared += 1
    services.set_policy(owner, {"transfer_license_percent": "60", "equity_percent": "50", "year_start_month": "1",
                                "agreement": ""})
    paid = 0
    if deals:
        services.add_cost(owner, {"source": "deal", "item_id": deals[0].id, "amount": "8000.00",
                                  "description": "技术评估与合同登记费"})
        services.mark_paid(owner, {"source": "deal", "item_id": deals[0].id, "paid_on": local_today()})
        paid = 1
    return {"inventors": len(people), "inventor_shares": shared, "rewards_paid": paid}
