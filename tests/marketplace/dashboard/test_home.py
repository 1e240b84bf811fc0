"""Each role's home: its own organisation's next actions show up, with links; another organisation's never do."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.extensions import db
from tests import factories


def sections(client, headers=None) -> dict[str, dict]:
    response = client.get("/api/v1/home", headers=headers or {})
    assert response.status_code == 200, response.data[:300]
    return {s["key"]: s for s in response.get_json()["sections"]}


def labels(section: dict) -> list[str]:
    return [item["label"] for item in section["items"]]


def licensed(app, licensor, licensee) -> tuple[factories.PatentRef, int]:
    """A granted patent of ``licensor`` under a published open license that ``licensee`` accepted."""
    from marketplace.openlicense.licensing import accept_open_license

    with app.app_context():
        patent = factories.make_granted_patent(licensor)
        declaration = factories.make_open_license(licensor, patent)
        grant = accept_open_license(licensee.load(), declaration)
        transaction.commit()
        return patent, grant.id


@pytest.fixture
def supplier_world(app, university, other_university, company):
    with app.app_context():
        draft = factories.make_patent(university)
        theirs = factories.make_patent(other_university)
        granted = factories.make_granted_patent(university)
        declaration = factories.make_open_license(university, granted, publish=False)
    patent, license_id = licensed(app, university, company)
    with app.app_context():
        payment = factories.pay_license(company, university, license_id, "1000.00", confirmed=False)
        titles = {"draft": draft.load().title, "theirs": theirs.load().title, "licensed": patent.load().title,
                  "declared": granted.load().title}
    return {"titles": titles, "license_id": license_id, "payment_id": payment, "declaration_id": declaration}


def test_a_university_sees_its_drafts_declarations_recordals_and_payments(client, login, university,
                                                                           supplier_world):
    login(university)
    found = sections(client)
    titles = supplier_world["titles"]
    assert titles["draft"] in labels(found["drafts"]) and titles["draft"] in labels(found["incomplete"])
    assert titles["declared"] in labels(found["declarations"])
    assert found["declarations"]["items"][0]["url"] == f"/open-licenses/{supplier_world['declaration_id']}"
    assert titles["licensed"] in labels(found["recordals"])
    assert found["payments"]["count"] == 1
    assert found["payments"]["items"][0]["url"] == f"/payments/{supplier_world['payment_id']}"
    assert found["consents"]["count"] >= 1  # the payment's receipt waits for the university's confirmation
    everything = [label for section in found.values() for label in labels(section)]
    assert titles["theirs"] not in everything
    page = client.get("/home").get_data(as_text=True)
    assert titles["draft"] in page and f"/payments/{supplier_world['payment_id']}" in page
    assert titles["theirs"] not in page


def test_another_university_sees_none_of_it(client, login, other_university, supplier_world):
    login(other_university)
    found = sections(client)
    titles = supplier_world["titles"]
    everything = [label for section in found.values() for label in labels(section)]
    assert titles["theirs"] in everything
    assert not {titles["draft"], titles["licensed"], titles["declared"]} & set(everything)
    assert found["payments"]["count"] == 0 and found["recordals"]["count"] == 0


def test_a_company_sees_new_matches_licenses_and_payments_due(app, client, login, university, company,
                                                             token_for):
    from marketplace.search.models import Match, MatchStatus

    other_company = None
    with app.app_context():
        other_company = factories.make_user("company", org_name="另一家公司")
        patent = factories.make_patent(university, publish=True)
        mine, theirs = factories.make_need(company), factories.make_need(other_company, title="别家的需求")
        db.session.add_all([Match(need_id=mine, patent_id=patent.id, score=0.9, status=MatchStatus.PUSHED),
                            Match(need_id=theirs, patent_id=patent.id, score=0.9, status=MatchStatus.PUSHED)])
        transaction.commit()
        matched = patent.load().title
    licensed_patent, license_id = licensed(app, university, company)
    _other, other_license = licensed(app, university, other_company)
    found = sections(client, token_for(company))
    assert found["matches"]["count"] == 1 and labels(found["matches"]) == [matched]
    assert "/matches/" in found["matches"]["items"][0]["url"]
    assert [i["url"] for i in found["licenses"]["items"]] == [f"/licenses/{license_id}"]
    assert found["payments_due"]["count"] == 1  # the lump sum falls due on the notice date
    assert "50,000" in found["payments_due"]["items"][0]["detail"]
    assert f"/licenses/{other_license}" not in str(found)
    assert "别家的需求" not in str(found)
    login(company)
    page = client.get("/home").get_data(as_text=True)
    assert matched in page and f"/licenses/{license_id}" in page and f"/licenses/{other_license}" not in page


def test_an_agency_sees_its_pipeline_targets_and_coming_events(app, client, login, agency, university, company):
    from marketplace.console.models import AgencyTarget, MatchmakingEvent
    from marketplace.deals.models import Deal, DealMode

    today = local_today()
    with app.app_context():
        other_agency = factories.make_user("agency", org_name="别的运营中心")
        db.session.add_all([
            Deal(title="在谈的转让", mode=DealMode.TRANSFER, seller_id=university.organisation_id,
                 buyer_id=company.organisation_id, agency_id=agency.organisation_id, amount=Decimal("1000.00")),
            Deal(title="别家的交易", mode=DealMode.TRANSFER, seller_id=university.organisation_id,
                 buyer_id=company.organisation_id, agency_id=other_agency.organisation_id, amount=Decimal("1.00")),
            MatchmakingEvent(agency_id=agency.organisation_id, title="下月对接会", held_on=today + timedelta(days=20)),
            MatchmakingEvent(agency_id=agency.organisation_id, title="去年的对接会", held_on=today - timedelta(days=400)),
            MatchmakingEvent(agency_id=other_agency.organisation_id, title="别家的对接会",
                             held_on=today + timedelta(days=5)),
            AgencyTarget(agency_id=agency.organisation_id, year=today.year, conversion_count=12),
        ])
        transaction.commit()
    login(agency)
    found = sections(client)
    assert labels(found["pipeline"]) == ["在谈的转让"]
    assert labels(found["events"]) == ["下月对接会"]
    assert found["targets"]["items"][0]["url"] == "/console"
    assert len(found["targets"]["items"]) >= 2  # this month, then each metric with a target
    page = client.get("/home").get_data(as_text=True)
    assert "下月对接会" in page and "别家" not in page


def test_the_home_needs_a_sign_in_and_signing_in_lands_there(client, university):
    assert "/login" in client.get("/home").location
    assert client.get("/api/v1/home").status_code == 401
    response = client.post("/login", data={"email": university.email, "password": factories.PASSWORD})
    assert response.location.endswith("/home")


def test_reading_the_home_writes_nothing(app, client, login, company, university):
    from sqlalchemy import event

    from marketplace.search.models import Match, MatchStatus

    with app.app_context():
        patent = factories.make_patent(university, publish=True)
        db.session.add(Match(need_id=factories.make_need(company), patent_id=patent.id, score=0.5,
                             status=MatchStatus.PUSHED))
        transaction.commit()
    login(company)
    writes = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: writes.append(args[2]) if not args[2].lstrip().upper().startswith(("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")) else None  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get("/home").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert writes == []
