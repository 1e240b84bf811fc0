"""The demo holds one auction (signed by the institute and the winning bidder, hammer above reserve) and one
entrusted operation the demo agency accepted through its own account."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core.dates import local_today
from marketplace.deals import services
from marketplace.deals.models import Deal, DealMode, DealStatus
from marketplace.extensions import db


def test_demo_has_an_auction_and_an_entrusted_operation(ctx, demo_counts):
    counts = demo_counts
    assert (counts["auctions"], counts["entrusted_operations"]) == (1, 1)
    [auction] = db.session.scalars(select(Deal).where(Deal.mode == DealMode.AUCTION))
    assert auction.status == DealStatus.SIGNED and auction.amount > auction.reserve_price
    assert auction.auction_house_label == auction.agency.name
    [operation] = db.session.scalars(select(Deal).where(Deal.mode == DealMode.ENTRUSTED))
    assert operation.buyer.kind == "agency" and services.entrustment_in_force(operation, local_today())
