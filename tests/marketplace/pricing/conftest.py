"""A realistic market of concluded deals around one lithium-battery invention of the test university."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.deals.models import Deal, DealMode, DealPatent, DealStatus, LicenseKind
from marketplace.extensions import db
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.vocab import LegalStatus, Maturity, PatentType, PublicationState
from tests import factories

_numbers = itertools.count(1)
BATTERY = {"patent_type": "invention", "segments": ("TM-F1",), "ipc_main": "H01M 10/0525", "maturity": "pilot"}


def add_patent(owner_id: int, *, patent_type: str = "invention", segments: tuple[str, ...] = ("TM-F1",),
               ipc_main: str | None = "H01M 10/0525", maturity: str | None = "pilot", published: bool = True) -> Patent:
    patent = Patent(application_number=f"20191{next(_numbers):07d}", title="一种锂离子电池负极材料及其制备方法",
                    patent_type=PatentType(patent_type), ipc_main=ipc_main, ipc_codes=[ipc_main] if ipc_main else [],
                    owner_id=owner_id, legal_status=LegalStatus.GRANTED, application_date=date(2019, 3, 1),
                    maturity=Maturity(maturity) if maturity else None,
                    state=PublicationState.PUBLISHED if published else PublicationState.DRAFT,
                    segment_links=[PatentSegment(segment_code=code) for code in segments])
    db.session.add(patent)
    db.session.flush()
    return patent


def add_deal(seller_id: int, buyer_id: int, amount: str, day: date, *, mode: str = "license",
             agency_id: int | None = None, status: str = "signed", patents: int = 1, **traits) -> Deal:
    """A concluded deal of ``patents`` patents with ``traits`` (as ``add_patent`` takes them)."""
    links = [DealPatent(patent_id=add_patent(seller_id, **traits).id) for _ in range(patents)]
    deal = Deal(mode=DealMode(mode), status=DealStatus(status), seller_id=seller_id, buyer_id=buyer_id,
                agency_id=agency_id, license_kind=LicenseKind.ORDINARY if mode == "license" else None,
                amount=Decimal(amount), contract_date=day, title="锂电池负极材料专利许可", patent_links=links)
    db.session.add(deal)
    db.session.flush()
    return deal


@dataclass
class Market:
    target: Patent
    own_deal: Deal  # the university's own license (it may see its amount)


@dataclass(frozen=True)
class MarketIds:
    target_id: int
    own_deal_id: int


@pytest.fixture
def market_ids(app, university, other_university, company, agency) -> MarketIds:
    """The university's battery invention and seven close license comparables (2021–2025), one of them its own,
    plus deals that must not count: another mode, cancelled, negotiating, another field, another type.
    Built in an app context of its own, so page and API tests send each request in a fresh context."""
    u, o, c, a = (ref.organisation_id for ref in (university, other_university, company, agency))
    with app.app_context():
        target = add_patent(u)
        institute = factories.make_user("institute", org_name="测试研究院").organisation_id
        # five licensees besides the test company: a range needs five distinct acquirers
        c2, c3, c4, c5, c6 = (factories.make_user("company", org_name=f"电池企业{n}").organisation_id
                              for n in range(2, 7))
        add_deal(o, c2, "260000.00", date(2025, 5, 10), agency_id=a)
        add_deal(institute, c3, "150000.00", date(2024, 11, 2))
        add_deal(o, c4, "380000.00", date(2024, 6, 1))
        add_deal(institute, c5, "120000.00", date(2023, 9, 15))
        add_deal(o, c6, "180000.00", date(2023, 1, 20), segments=("TM-F9",))  # same IPC group only
        add_deal(o, c, "900000.00", date(2022, 4, 1), patents=3)  # ¥300,000 a patent
        own = add_deal(u, c, "75000.00", date(2021, 8, 8))
        add_deal(o, c, "1200000.00", date(2025, 1, 1), mode="transfer")
        add_deal(o, c, "9990000.00", date(2025, 2, 1), status="cancelled")
        add_deal(o, c, "8880000.00", date(2025, 3, 1), status="negotiating")
        add_deal(o, c, "7770000.00", date(2025, 4, 1), segments=("TM-A1",), ipc_main="G06F 16/35")
        transaction.commit()
        return MarketIds(target.id, own.id)


@pytest.fixture
def market(ctx, market_ids) -> Market:
    """``market_ids`` loaded for service tests."""
    return Market(db.session.get(Patent, market_ids.target_id), db.session.get(Deal, market_ids.own_deal_id))
