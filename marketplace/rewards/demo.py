"""The demo university's inventors and rewards: the inventors named on its patents sold in binding deals, equal
shares, a 60 % policy for transfers and licenses, the price of its first transfer or license received (recorded
by the university, the payee: confirmed at once), a recorded cost and that income's rewards paid."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.deals import payments as deal_payments
from marketplace.deals.models import Deal, DealMode
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
    sold = next((deal for deal in deals if deal.mode != DealMode.EQUITY), None)
    if sold is not None:
        received = deal_payments.record_payment(owner, sold.id, {"amount": sold.amount, "paid_on": local_today(),
                                                                 "reference": "演示-银行回单-001"})
        services.add_cost(owner, {"source": "deal_payment", "item_id": received.id, "amount": "8000.00",
                                  "description": "技术评估与合同登记费"})
        services.mark_paid(owner, {"source": "deal_payment", "item_id": received.id, "paid_on": local_today()})
        paid = 1
    return {"inventors": len(people), "inventor_shares": shared, "rewards_paid": paid}
