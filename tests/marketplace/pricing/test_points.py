"""``price_points`` follows the ledger through the outbox (a deal concluded, cancelled, its amount or patents
changed; an open license taking effect; a patent's technology changed), ``rebuild`` writes the same rows,
and the most recent comparables read from it are the ones a scan of the ledger finds."""
from __future__ import annotations

import importlib.util
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, or_, select, text

from marketplace.core import transaction
from marketplace.deals.models import Deal, DealMode, DealPatent, DealStatus
from marketplace.deals.records import BINDING
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, OpenLicenseDeclaration
from marketplace.openlicense.terms import PaymentMethod
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.vocab import Maturity, TransformationMode
from marketplace.pricing import points
from marketplace.pricing.models import PricePoint
from marketplace.pricing.services import traits_of
from tests.marketplace.pricing.conftest import add_deal, add_patent

LICENSE = TransformationMode.LICENSE


def rows_of(deal_id: int | None = None, license_id: int | None = None) -> set[tuple[str, str, int, Decimal, int]]:
    """(mode, technology, patent, amount, parts) of one deal's or license's price points."""
    stmt = select(PricePoint.mode, PricePoint.technology, PricePoint.patent_id, PricePoint.amount, PricePoint.parts)
    stmt = stmt.where(PricePoint.deal_id == deal_id) if deal_id else stmt.where(PricePoint.license_id == license_id)
    return {tuple(row) for row in db.session.execute(stmt)}  # type: ignore[misc]


def all_points() -> list[tuple]:
    """Every price point, its segments as a sorted tuple."""
    return sorted((*row[:-1], tuple(sorted(row[-1].split(",")))) for row in db.session.execute(
        select(PricePoint.mode, PricePoint.technology, PricePoint.concluded_on, PricePoint.amount, PricePoint.parts,
               PricePoint.patent_id, PricePoint.deal_id, PricePoint.license_id, PricePoint.seller_id,
               PricePoint.buyer_id, PricePoint.agency_id, PricePoint.patent_type, PricePoint.ipc_main,
               PricePoint.maturity, PricePoint.segments)))


def test_a_deal_counts_once_concluded_and_no_longer_once_cancelled(ctx, university, other_university, company):
    o, c = other_university.organisation_id, company.organisation_id
    deal = add_deal(o, c, "200000.00", date(2025, 1, 1), status="negotiating", patents=2)
    transaction.commit()
    assert rows_of(deal.id) == set()
    deal.status = DealStatus.SIGNED
    transaction.commit()
    first, second = (link.patent_id for link in deal.patent_links)
    assert rows_of(deal.id) == {("license", key, patent, Decimal("200000.00"), 2)
                                for patent in (first, second) for key in ("seg:TM-F1", "ipc:H01M")}
    deal.status = DealStatus.CANCELLED
    transaction.commit()
    assert rows_of(deal.id) == set()


def test_an_amendment_of_amount_patents_or_mode_rewrites_the_points(ctx, university, other_university, company):
    o, c = other_university.organisation_id, company.organisation_id
    deal = add_deal(o, c, "200000.00", date(2025, 1, 1), patents=2)
    transaction.commit()
    deal.amount = Decimal("260000.00")
    db.session.delete(deal.patent_links[1])
    transaction.commit()
    remaining = deal.patent_links[0].patent_id
    assert rows_of(deal.id) == {("license", "seg:TM-F1", remaining, Decimal("260000.00"), 1),
                                ("license", "ipc:H01M", remaining, Decimal("260000.00"), 1)}
    deal.mode = DealMode.AUCTION
    deal.contract_date = date(2025, 2, 1)
    transaction.commit()
    assert {row[0] for row in rows_of(deal.id)} == {"transfer"}
    assert set(db.session.scalars(select(PricePoint.concluded_on).where(PricePoint.deal_id == deal.id))) \
        == {date(2025, 2, 1)}
    deal.mode = DealMode.ENTRUSTED  # an entrusted operation is no sale
    transaction.commit()
    assert rows_of(deal.id) == set()


def test_a_patents_new_traits_move_and_rewrite_its_deals_points(ctx, university, other_university, company):
    deal = add_deal(other_university.organisation_id, company.organisation_id, "90000.00", date(2024, 5, 5))
    transaction.commit()
    patent = db.session.get(Patent, deal.patent_links[0].patent_id)
    patent.segment_links = [PatentSegment(segment_code="TM-F9")]
    patent.ipc_main = "H02J 7/00"
    transaction.commit()
    assert {row[1] for row in rows_of(deal.id)} == {"seg:TM-F9", "ipc:H02J"}
    patent.ipc_main = None
    patent.maturity = Maturity.MASS_PRODUCTION
    transaction.commit()
    assert {row[1] for row in rows_of(deal.id)} == {"seg:TM-F9"}
    assert set(db.session.execute(select(PricePoint.maturity, PricePoint.ipc_main, PricePoint.segments)
                                  .where(PricePoint.deal_id == deal.id))) == {("mass_production", None, "TM-F9")}


def add_grant(licensor_id: int, licensee_id: int, fee: str, effective_on: date | None) -> LicenseGrant:
    """An open license of a new battery patent of ``licensor_id`` for a lump sum."""
    patent = add_patent(licensor_id)
    declaration = OpenLicenseDeclaration(patent_id=patent.id, owner_id=licensor_id,
                                         payment_method=PaymentMethod.LUMP_SUM, fixed_fee=Decimal(fee),
                                         term_start=date(2024, 1, 1), term_end=date(2027, 1, 1))
    db.session.add(declaration)
    db.session.flush()
    grant = LicenseGrant(declaration_id=declaration.id, patent_id=patent.id, licensor_id=licensor_id,
                         licensee_id=licensee_id, fee_type="fixed", fixed_fee=Decimal(fee),
                         notice_date=date(2024, 2, 1), effective_on=effective_on, term_end=date(2027, 1, 1))
    db.session.add(grant)
    return grant


def test_an_open_license_counts_its_lump_sum_once_in_effect(ctx, university, other_university, company):
    grant = add_grant(other_university.organisation_id, company.organisation_id, "30000.00", None)
    transaction.commit()
    assert rows_of(license_id=grant.id) == set()
    grant.effective_on = date(2024, 2, 2)
    transaction.commit()
    assert rows_of(license_id=grant.id) == {("open_license", key, grant.patent_id, Decimal("30000.00"), 1)
                                            for key in ("seg:TM-F1", "ipc:H01M")}


def test_rebuild_writes_what_the_consumer_kept(market, university):
    kept = all_points()
    assert kept
    db.session.execute(PricePoint.__table__.delete())
    assert points.rebuild() == len(kept)
    assert all_points() == kept


def test_the_migration_fills_what_the_consumer_kept(market, other_university, company):
    """The migration's own SQL backfill (segments compared as sets: their aggregated order is the database's)."""
    path = Path(__file__).parents[3] / "migrations" / "versions" / "20261202_5a1c0e7d3b21_price_points.py"
    spec = importlib.util.spec_from_file_location("price_points_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    add_grant(other_university.organisation_id, company.organisation_id, "30000.00", date(2024, 2, 2))
    transaction.commit()
    kept = all_points()
    assert {row[0] for row in kept} == {"license", "transfer", "open_license"}
    db.session.execute(PricePoint.__table__.delete())
    db.session.execute(text(migration.backfill(db.engine.dialect.name)))
    assert all_points() == kept


def ledger_recent(mode: TransformationMode, patent: Patent, limit: int) -> list[tuple]:
    """The scan pricing help made before ``price_points``: the most recent concluded deals of ``mode`` whose
    patents share a segment or the IPC subclass, straight from the ledger."""
    traits = traits_of(patent)
    technology = or_(Patent.id.in_(select(PatentSegment.patent_id)
                                   .where(PatentSegment.segment_code.in_(sorted(traits.segments)))),
                     Patent.ipc_main.startswith(traits.ipc_main[:4]))
    concluded = func.coalesce(Deal.contract_date, Deal.recorded_on)
    modes = [deal_mode for deal_mode, priced in points.PRICED_AS.items() if priced == mode]
    stmt = (select(concluded, Deal.id, Deal.amount).join(DealPatent, DealPatent.deal_id == Deal.id)
            .join(Patent, Patent.id == DealPatent.patent_id)
            .where(Deal.mode.in_(modes), Deal.status.in_(BINDING), Deal.amount > 0, concluded.is_not(None), technology)
            .order_by(concluded.desc(), Deal.id.desc()).limit(limit))
    return [tuple(row) for row in db.session.execute(stmt)]


def test_the_recent_comparables_are_the_ledgers(market, university, other_university, company):
    o, c = other_university.organisation_id, company.organisation_id
    add_deal(o, c, "50000.00", date(2025, 6, 1), segments=("TM-F9",), ipc_main="H01M 4/00")  # IPC subclass only
    add_deal(o, c, "60000.00", date(2025, 6, 1), segments=("TM-F1", "TM-A1"), ipc_main=None, patents=2)
    add_deal(o, c, "70000.00", date(2020, 6, 1), mode="equity")
    transaction.commit()
    keys = points.keys_of(traits_of(market.target))
    for mode in (LICENSE, TransformationMode.TRANSFER, TransformationMode.EQUITY):
        for limit in (1, 3, 4, 8, 500):
            found = [(c.concluded_on, c.deal_id, c.amount) for c in points.recent(mode, keys, limit)]
            assert found == ledger_recent(mode, market.target, limit), (mode, limit)


def test_flask_pricing_rebuild_points_rewrites_the_table(app, market_ids):
    with app.app_context():
        kept = all_points()
        db.session.execute(PricePoint.__table__.delete())
        transaction.commit()
    result = app.test_cli_runner().invoke(args=["pricing", "rebuild-points"])
    assert result.exit_code == 0, result.output
    assert f"price points: {len(kept)} rows" in result.output
    with app.app_context():
        assert all_points() == kept
