"""Auctions and entrusted operations through the pages and the API: mode-specific fields only where they belong,
422s naming the field with nothing written, the owner ending an entrustment, the ledger export."""
from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from marketplace.core.dates import local_today
from marketplace.deals.models import Deal, DealStatus
from marketplace.extensions import db
from tests import factories
from tests.marketplace.deals.test_modes import auction_values, entrusted_values


def test_the_form_shows_each_modes_fields_only_for_it(client, login, agency):
    login(agency)
    html = client.get("/deals/new").get_data(as_text=True)
    assert 'data-shows-fields' in html and 'name="mode"' in html
    assert html.count('data-shown-for="auction"') == 1 and html.count('data-shown-for="entrusted"') == 1
    auction_part = html.split('data-shown-for="auction"')[1].split('data-shown-for="entrusted"')[0]
    assert 'name="reserve_price"' in auction_part and 'name="fee_share"' not in auction_part
    assert "onclick=" not in html


def test_an_auction_entered_through_the_form(app, client, login, agency, university, company):
    with app.app_context():
        patent = factories.make_granted_patent(university)
    login(agency)
    today = local_today().isoformat()
    data = {"mode": "auction", "license_kind": "", "seller_id": university.organisation_id,
            "buyer_id": company.organisation_id, "patent_numbers": patent.application_number, "status": "signed",
            "amount": "150000", "reserve_price": "200000", "auction_date": today, "contract_date": today,
            "auction_house_id": "", "auction_house_name": "贵州产权交易所", "fee_share": "99"}
    page = client.post("/deals/new", data=data)  # hammer below the reserve; fee share of another mode ignored
    assert page.status_code == 200 and "成交价不能低于保留价" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Deal)) == 0
    response = client.post("/deals/new", data={**data, "amount": "260000"})
    assert response.status_code == 302
    with app.app_context():
        deal = db.session.scalars(select(Deal)).one()
        assert (deal.mode.value, str(deal.reserve_price), deal.fee_share) == ("auction", "200000.00", None)
        deal_id = deal.id
    detail = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert 'data-field="reserve_price">¥200,000.00' in detail and "贵州产权交易所" in detail
    assert "mode=transfer" in detail  # its pricing help is the transfers'


def test_the_owner_ends_an_entrustment_from_its_page(app, client, login, university, agency, company):
    with app.app_context():
        from marketplace.core import transaction
        from marketplace.deals import services
        patent = factories.make_granted_patent(university)
        deal = services.record_deal(university.load(), entrusted_values(university, agency, [patent]))
        transaction.commit()
        deal_id = deal.id
        factories.approve("deal", deal_id, agency)
    login(agency)
    page = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert 'id="end-entrustment"' not in page and "委托期内" in page and 'id="brokered"' not in page
    assert client.post(f"/deals/{deal_id}/end", data={}).status_code == 302
    with app.app_context():
        assert db.session.get(Deal, deal_id).status == DealStatus.SIGNED  # the operator cannot end it
    client.post("/logout")
    login(company)
    assert client.get(f"/deals/{deal_id}").status_code == 404
    assert client.post(f"/deals/{deal_id}/end", data={}).status_code == 404
    client.post("/logout")
    login(university)
    assert 'id="end-entrustment"' in client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert client.post(f"/deals/{deal_id}/end", data={}).status_code == 302
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.status == DealStatus.COMPLETED and deal.completed_on == local_today()
    assert "已于" in client.get(f"/deals/{deal_id}").get_data(as_text=True)


def test_the_ledger_export_carries_each_modes_fields(app, client, login, university, company, agency):
    with app.app_context():
        from marketplace.core import transaction
        from marketplace.deals import services
        services.record_deal(agency.load(), auction_values(university, company,
                                                           [factories.make_granted_patent(university)]))
        services.record_deal(university.load(), entrusted_values(university, agency,
                                                                  [factories.make_granted_patent(university)]))
        transaction.commit()
    login(university)
    response = client.get("/deals/export.csv")
    assert response.status_code == 200 and 'filename="deals.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    by_mode = {row[header.index("方式")]: row for row in rows[1:]}
    assert by_mode["拍卖"][header.index("保留价（元）")] == "200000.00"
    assert by_mode["拍卖"][header.index("拍卖机构")] == "贵州产权交易所"
    assert by_mode["委托运营"][header.index("运营方分成比例（%）")] == "15.00"
    only = client.get("/deals/export.xlsx?mode=auction")
    assert only.status_code == 200 and 'filename="deals-auction.xlsx"' in only.headers["Content-Disposition"]
    assert client.get("/deals/export.csv?mode=lease").status_code == 422
    client.post("/logout")
    login(company)  # sees the auction it won, not the owner's entrustment
    rows = list(csv.reader(io.StringIO(client.get("/deals/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[rows[0].index("方式")] for row in rows[1:]] == ["拍卖"]


def test_api_auction_and_entrustment(client, token_for, university, company, agency, app):
    with app.app_context():
        patent = factories.make_granted_patent(university)
        other = factories.make_granted_patent(university)
    headers = token_for(agency)
    bad = client.post("/api/v1/deals", headers=headers,
                      json=auction_values(university, company, [patent], amount="199999.99"))
    assert bad.status_code == 422 and "amount" in str(bad.json)
    created = client.post("/api/v1/deals", headers=headers, json=auction_values(university, company, [patent]))
    assert created.status_code == 201, created.json
    assert (created.json["mode"], created.json["reserve_price"], created.json["auction_house"]) == (
        "auction", "200000.00", "贵州产权交易所")
    owner = token_for(university)
    too_much = client.post("/api/v1/deals", headers=owner,
                           json=entrusted_values(university, agency, [other], fee_share="100.5"))
    assert too_much.status_code == 422 and "fee_share" in str(too_much.json)
    not_agency = client.post("/api/v1/deals", headers=owner, json=entrusted_values(university, company, [other]))
    assert not_agency.status_code == 422 and "buyer_id" in str(not_agency.json)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Deal)) == 1
    entrusted = client.post("/api/v1/deals", headers=owner, json=entrusted_values(university, agency, [other]))
    assert entrusted.status_code == 201 and entrusted.json["fee_share"] == "15.00"
    deal_id = entrusted.json["id"]
    assert client.post(f"/api/v1/deals/{deal_id}/end", headers=owner, json={}).status_code == 409  # not yet signed
    with app.app_context():
        factories.approve("deal", deal_id, agency)
    assert client.post(f"/api/v1/deals/{deal_id}/end", headers=token_for(agency), json={}).status_code == 409
    assert client.post(f"/api/v1/deals/{deal_id}/end", headers=token_for(company), json={}).status_code == 404
    ended = client.post(f"/api/v1/deals/{deal_id}/end", headers=owner, json={"ended_on": local_today().isoformat()})
    assert ended.status_code == 200 and ended.json["status"] == "completed"


def test_editing_a_negotiating_auction_through_its_page(app, client, login, agency, university, company):
    with app.app_context():
        from marketplace.core import transaction
        from marketplace.deals import services
        deal = services.record_deal(agency.load(), auction_values(university, company,
                                                                  [factories.make_granted_patent(university)]))
        transaction.commit()
        deal_id = deal.id
    login(agency)
    page = client.get(f"/deals/{deal_id}/edit").get_data(as_text=True)
    assert 'name="reserve_price"' in page and 'value="200000.00"' in page and 'name="fee_share"' not in page
    today = local_today().isoformat()
    data = {"title": "拍卖", "amount": "260000.00", "reserve_price": "300000", "auction_date": today,
            "auction_house_name": "贵州产权交易所", "auction_house_id": "", "contract_date": today}
    refused = client.post(f"/deals/{deal_id}/edit", data=data)
    assert refused.status_code == 200 and "成交价不能低于保留价" in refused.get_data(as_text=True)
    with app.app_context():
        assert str(db.session.get(Deal, deal_id).reserve_price) == "200000.00"
    assert client.post(f"/deals/{deal_id}/edit", data={**data, "reserve_price": "250000"}).status_code == 302
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert str(deal.reserve_price) == "250000.00" and deal.terms_version == 2
