"""Amounts that count (issue 9 item 7): binding deals and the confirmed fees of effective open licenses; the rest
is listed apart and never added to a total."""
from __future__ import annotations

from decimal import Decimal

from marketplace.console import pending, statistics
from marketplace.console.ledger import Filters, Scope
from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.deals import services as deals
from marketplace.openlicense import licensing
from tests import factories


def _open_licenses(scope: Scope) -> tuple[int, Decimal]:
    table = statistics.deal_statistics(scope, Filters(), "mode")
    figure = next(row.figure for row in table.rows if row.key == "open_license")
    return figure.items, figure.amount


def _pending(scope: Scope) -> dict[str, pending.PendingItem]:
    found = pending.pending_items(scope, Filters(), local_today())
    return {f"{item.source}-{item.id}": item for item in found.items}


def test_an_unpaid_open_license_does_not_count_at_its_declared_fee(ctx, agency, university, company):
    """The bug of issue 9: use first, pay later takes effect at once, unpaid; it counted ¥80,000 before."""
    factories.authorise_agency(agency, university)
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent, fixed_fee="80000.00", trial_months=6)
    grant = licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    assert grant.effective_on is not None  # in force: nothing is due before the trial ends
    for scope in (Scope(), Scope(agency.organisation_id)):
        assert _open_licenses(scope) == (1, Decimal("0.00"))
        listed = _pending(scope)[f"open_license-{grant.id}"]
        assert (listed.amount, listed.counted, listed.outstanding) == (Decimal("80000.00"), Decimal("0.00"),
                                                                       Decimal("80000.00"))
        assert listed.reasons == ["fee_outstanding"]
    payment_id = factories.pay_license(company, university, grant.id, "30000.00", confirmed=False)
    assert _open_licenses(Scope(agency.organisation_id)) == (1, Decimal("0.00")), "reported, not yet confirmed"
    assert _pending(Scope(agency.organisation_id))[f"open_license-{grant.id}"].reasons == ["fee_outstanding",
                                                                                            "unconfirmed"]
    factories.approve("license_payment", payment_id, university)
    assert _open_licenses(Scope(agency.organisation_id)) == (1, Decimal("30000.00"))
    assert _pending(Scope(agency.organisation_id))[f"open_license-{grant.id}"].outstanding == Decimal("50000.00")
    factories.pay_license(company, university, grant.id, "50000.00")
    assert _open_licenses(Scope(agency.organisation_id)) == (1, Decimal("80000.00"))
    assert f"open_license-{grant.id}" not in _pending(Scope(agency.organisation_id))


def test_a_license_awaiting_its_fee_is_listed_apart_not_counted(ctx, agency, university, company):
    factories.authorise_agency(agency, company)
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent, fixed_fee="40000.00")
    grant = licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    assert grant.effective_on is None
    assert _open_licenses(Scope(agency.organisation_id)) == (0, Decimal("0.00"))
    listed = _pending(Scope(agency.organisation_id))[f"open_license-{grant.id}"]
    assert listed.reasons == ["not_effective"] and listed.outstanding == Decimal("40000.00")


def test_deals_that_do_not_bind_are_listed_apart(ctx, agency, university, company, other_agency):
    patent = factories.make_granted_patent(university)
    negotiating = deals.record_deal(agency.load(), {
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [patent.id], "amount": "660000.00", "title": "洽谈中的转让"})
    cancelled_patent = factories.make_granted_patent(university)
    cancelled = deals.record_deal(agency.load(), {
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [cancelled_patent.id], "amount": "10.00", "title": "作废"})
    deals.update_deal(agency.load(), cancelled.id, {"status": "cancelled"})
    transaction.commit()
    assert statistics.deal_statistics(Scope(agency.organisation_id), Filters(), "mode").total.items == 0
    found = pending.pending_items(Scope(agency.organisation_id), Filters(), local_today())
    assert [f"{i.source}-{i.id}" for i in found.items] == [f"deal-{negotiating.id}"]
    assert found.outstanding == Decimal("660000.00") and found.total == 1
    assert pending.pending_items(Scope(other_agency.organisation_id), Filters(), local_today()).total == 0


def test_the_console_page_shows_the_pending_list_and_the_definitions(client, login, agency, university, company):
    with client.application.test_request_context():
        patent = factories.make_granted_patent(university)
        deal = deals.record_deal(agency.load(), {
            "mode": "license", "license_kind": "ordinary", "seller_id": university.organisation_id,
            "buyer_id": company.organisation_id, "patent_ids": [patent.id], "amount": "12345.00", "title": "待确认许可"})
        transaction.commit()
        deal_id = deal.id
    login(agency)
    html = client.get("/console").get_data(as_text=True)
    assert f'data-pending="deal-{deal_id}"' in html and 'data-total-amount="0.00"' in html
    assert 'id="definitions"' in html and "经许可方确认的固定费用" in html
    assert client.get("/api/v1/stats/pending").get_json()["outstanding"] == "12345.00"


def test_the_count_and_outstanding_cover_every_pending_item_beyond_those_listed(ctx, monkeypatch, agency, university,
                                                                                company):
    """Only the newest SHOWN rows are fetched; the database counts and sums all of them."""
    factories.authorise_agency(agency, company)
    recorded = [deals.record_deal(agency.load(), {
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [factories.make_granted_patent(university).id], "amount": amount, "title": "洽谈中"}).id
        for amount in ("100.10", "200.20")]
    declaration_id = factories.make_open_license(university, factories.make_granted_patent(university),
                                                 fixed_fee="40000.00")
    grant = licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    monkeypatch.setattr(pending, "SHOWN", 1)
    for scope in (Scope(), Scope(agency.organisation_id)):
        found = pending.pending_items(scope, Filters(), local_today())
        assert found.total == 3 and found.outstanding == Decimal("40300.30")
        assert len(found.items) == 1
        newest = max([("deal", deal_id) for deal_id in recorded] + [("open_license", grant.id)],
                     key=lambda ref: (local_today(), *ref))
        assert (found.items[0].source, found.items[0].id) == newest
