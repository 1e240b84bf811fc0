"""An agency sees nothing of an organisation that has not accepted it, sees it after acceptance, and stops
seeing new data after revocation — every console page, download and API endpoint, role by role.

The scene: the agency brokered one deal naming an outsider company, invited it to an event and asked to serve
it; none of that is acceptance. The outsider obtained (and paid) an open license from a university that never
accepted the agency either, and one of the university's patents was pushed to the outsider's need.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from marketplace.agencies import services as agencies
from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.models import utcnow
from marketplace.deals import services as deals
from marketplace.extensions import db
from marketplace.openlicense import licensing
from marketplace.openlicense.models import LicenseGrant
from marketplace.search.models import Match, MatchStatus
from tests import factories

OUTSIDER = "未授权的外部企业"


@dataclass(frozen=True)
class Scene:
    outsider: factories.UserRef
    university_id: int
    license_id: int
    unpaid_id: int
    deal_id: int
    event_id: int
    request_id: int
    university_patent: factories.PatentRef
    today: date


def _obtain(app, university, licensee, amount="50000.00", pay: bool = True) -> int:
    """The licensee obtains a new open license of the university's: effective today once paid."""
    with app.test_request_context():
        patent = factories.make_granted_patent(university)
        declaration_id = factories.make_open_license(university, patent, fixed_fee=amount)
        grant = licensing.accept_open_license(licensee.load(), declaration_id)
        transaction.commit()
        if pay:
            factories.pay_license(licensee, university, grant.id, amount)
        return grant.id


def _push(app, outsider, patent_id: int, pushed_at: datetime) -> None:
    with app.app_context():
        need_id = factories.make_need(outsider, title="农机动力装置需求")
        db.session.add(Match(need_id=need_id, patent_id=patent_id, score=0.7, status=MatchStatus.INTERESTED,
                             pushed_at=pushed_at))
        transaction.commit()


@pytest.fixture
def scene(app, agency, university) -> Scene:
    with app.app_context():
        outsider = factories.make_user("company", email="owner@outsider.test", org_name=OUTSIDER, is_sme=True)
    license_id = _obtain(app, university, outsider)
    unpaid_id = _obtain(app, university, outsider, "20000.00", pay=False)
    with app.test_request_context():
        today = local_today()
        patent = factories.make_granted_patent(university)
        deal = deals.record_deal(agency.load(), {
            "mode": "license", "license_kind": "ordinary", "seller_id": university.organisation_id,
            "buyer_id": outsider.organisation_id, "patent_ids": [patent.id], "amount": "70000.00",
            "contract_date": today.isoformat(), "status": "signed", "title": "经办的外部许可"})
        from marketplace.console import events
        event = events.create_event(agency.load(), {"title": "外部企业对接会", "held_on": today, "online": True,
                                                    "invited_organisation_ids": [outsider.organisation_id]})
        request = agencies.request_relationship(agency.load(), {"organisation_id": outsider.organisation_id,
                                                                "permissions": ["open_licenses", "funnel"]})
        transaction.commit()
        factories.approve("deal", deal.id, university, outsider)  # the parties sign in their own accounts
        ids = (deal.id, event.id, request.id)
    _push(app, outsider, patent.id, utcnow())
    return Scene(outsider, university.organisation_id, license_id, unpaid_id, *ids, patent, today)


def _get(client, path, **kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.data[:300])
    return response


def _csv_ids(data: bytes, source_label: str) -> set[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return {row[1] for row in rows[1:-1] if row[0] == source_label}


def _workbook_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return " ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)


def _open_licenses_on_board(html: str) -> int:
    """The open-license count of the dashboard's (or report's) by-mode table."""
    table = html.split('id="table-mode"')[1]
    return int(re.search(r'<tr data-key="open_license">.*?data-items="(\d+)"', table, re.S).group(1))


def _what_the_agency_sees(client, scene: Scene, headers) -> dict[str, object]:
    """The outsider's open licenses and pushes as every page, file and endpoint shows them to the caller.

    The brokered deal names the outsider, so its name alone proves nothing: each check looks for the
    outsider's licenses (ids, counts, or its name in lists of open licenses only) and its pushed match.
    """
    year = scene.today.year
    seen: dict[str, object] = {
        "dashboard": _open_licenses_on_board(_get(client, "/console").get_data(as_text=True)),
        "report": _open_licenses_on_board(_get(client, f"/console/report?year={year}").get_data(as_text=True)),
        "items": f'data-item="open_license-{scene.license_id}"' in _get(
            client, "/console/items?mode=open_license").get_data(as_text=True),
        "drill-down": f'data-item="open_license-{scene.license_id}"' in _get(
            client, f"/console/items?organisation={scene.university_id}&sme=1").get_data(as_text=True),
        "items.csv": str(scene.license_id) in _csv_ids(_get(client, "/console/items.csv").data, "开放许可"),
        "items.xlsx": OUTSIDER in _workbook_text(_get(client, "/console/items.xlsx?mode=open_license").data),
        "pending": f'data-pending="open_license-{scene.unpaid_id}"' in _get(client, "/console").get_data(
            as_text=True),
        "funnel": 'data-stage="pushed">1<' in _get(client, "/console/funnel").get_data(as_text=True),
    }
    book = load_workbook(io.BytesIO(_get(client, f"/console/stats.xlsx?year={year}").data))
    seen["stats.xlsx"] = next(row for row in book["按方式"].iter_rows(values_only=True) if row[0] == "开放许可")[1]
    mode_csv = list(csv.reader(io.StringIO(_get(client, "/console/stats.csv?group_by=mode").data.decode("utf-8-sig"))))
    seen["stats.csv"] = int(next(row for row in mode_csv if row[0] == "开放许可")[1])
    stats = _get(client, "/api/v1/stats/deals?group_by=mode", headers=headers).get_json()
    seen["api stats"] = next(r for r in stats["rows"] if r["key"] == "open_license")["items"]
    by_university = _get(client, "/api/v1/stats/deals?group_by=organisation&mode=open_license", headers=headers)
    seen["api by university"] = by_university.get_json()["total"]["items"]
    pending = _get(client, "/api/v1/stats/pending", headers=headers).get_json()
    seen["api pending"] = any(i["source"] == "open_license" and i["id"] == scene.unpaid_id for i in pending["items"])
    seen["api funnel"] = _get(client, "/api/v1/stats/funnel", headers=headers).get_json()["total"]["pushed"]
    seen["api export"] = str(scene.license_id) in _csv_ids(
        _get(client, "/api/v1/exports/deals.csv", headers=headers).data, "开放许可")
    seen["api xlsx"] = OUTSIDER in _workbook_text(
        _get(client, "/api/v1/exports/deals.xlsx?mode=open_license", headers=headers).data)
    return seen


def expected(visible: bool) -> dict[str, object]:
    count = 1 if visible else 0
    return {"dashboard": count, "report": count, "items": visible, "drill-down": visible, "items.csv": visible,
            "items.xlsx": visible, "pending": visible, "funnel": visible, "stats.xlsx": count, "stats.csv": count,
            "api stats": count, "api by university": count, "api pending": visible, "api funnel": count,
            "api export": visible, "api xlsx": visible}


def test_an_agency_alone_cannot_make_an_organisation_served(app, client, login, token_for, agency, scene):
    """Brokering a deal naming it, inviting it and asking to serve it: the agency still sees none of its data."""
    login(agency)
    assert _what_the_agency_sees(client, scene, token_for(agency)) == expected(False)
    year_items = _get(client, f"/console/items?from={scene.today.year}-01-01&to={scene.today.year}-12-31")
    assert f'data-item="deal-{scene.deal_id}"' in year_items.get_data(as_text=True)  # what it brokered, it sees
    board = _get(client, "/console").get_data(as_text=True)
    assert '<tr data-metric="organisations_served">' in board
    served = board.split('<tr data-metric="organisations_served">')[1].split("</tr>")[0]
    assert 'data-actual="0"' in served


def test_event_pages_show_invitees_by_name_only(client, login, token_for, agency, university, scene):
    login(agency)
    html = _get(client, f"/console/events/{scene.event_id}").get_data(as_text=True)
    assert OUTSIDER in html
    outsider = scene.outsider
    for private in (outsider.email, "91110108", "50,000", "农机动力装置需求"):
        assert private not in html, private
    body = _get(client, f"/api/v1/events/{scene.event_id}", headers=token_for(agency)).get_json()
    assert body["invitations"] == [{"organisation_id": outsider.organisation_id, "organisation_name": OUTSIDER,
                                    "attended": None}]


def test_after_acceptance_the_agency_sees_it(app, client, login, token_for, agency, university, scene):
    with app.test_request_context():
        agencies.accept_relationship(scene.outsider.load(), scene.request_id,
                                     {"start_on": scene.today - timedelta(days=30)})
        transaction.commit()
    login(agency)
    assert _what_the_agency_sees(client, scene, token_for(agency)) == expected(True)


def test_after_revocation_no_new_data_but_the_past_stays(app, client, login, token_for, agency, university,
                                                         scene):
    outsider = scene.outsider
    yesterday = scene.today - timedelta(days=1)
    with app.test_request_context():
        agencies.accept_relationship(outsider.load(), scene.request_id,
                                     {"start_on": scene.today - timedelta(days=30)})
        # What the agency saw before: the license took effect, and the match was pushed, yesterday.
        db.session.execute(update(LicenseGrant).where(LicenseGrant.id == scene.license_id)
                           .values(effective_on=yesterday, notice_date=yesterday))
        db.session.execute(update(Match).values(pushed_at=datetime.combine(yesterday, datetime.min.time())
                                                + timedelta(hours=4)))  # noon in Beijing
        agencies.revoke_relationship(outsider.load(), scene.request_id)
        transaction.commit()
    later = _obtain(app, university, outsider, "30000.00")  # obtained after the revocation
    _push(app, outsider, scene.university_patent.id, utcnow())
    login(agency)
    listed = _get(client, "/console/items?mode=open_license").get_data(as_text=True)
    assert f'data-item="open_license-{scene.license_id}"' in listed
    assert f'data-item="open_license-{later}"' not in listed
    exported = _csv_ids(_get(client, "/api/v1/exports/deals.csv", headers=token_for(agency)).data, "开放许可")
    assert exported == {str(scene.license_id)}
    stats = _get(client, "/api/v1/stats/deals?group_by=mode", headers=token_for(agency)).get_json()
    assert next(r for r in stats["rows"] if r["key"] == "open_license")["amount"] == "50000.00"
    assert _get(client, "/api/v1/stats/funnel", headers=token_for(agency)).get_json()["total"]["pushed"] == 1


def test_other_roles(app, client, login, token_for, agency, other_agency, platform_admin, university, scene):
    """The outsider itself cannot open the console; another agency sees nothing; the platform sees it all."""
    headers = token_for(scene.outsider)
    for path in ("/api/v1/stats/deals?group_by=mode", "/api/v1/stats/pending", "/api/v1/stats/funnel",
                 "/api/v1/exports/deals.csv"):
        assert client.get(path, headers=headers).status_code == 403
        assert client.get(path).status_code == 401
    login(scene.outsider)
    for path in ("/console", "/console/report", "/console/items", "/console/items.csv", "/console/stats.xlsx",
                 "/console/funnel"):
        assert client.get(path).status_code == 403
    client.post("/logout")
    login(other_agency)
    assert _what_the_agency_sees(client, scene, token_for(other_agency)) == expected(False)
    client.post("/logout")
    login(platform_admin)
    admin = _get(client, "/console/items?mode=open_license").get_data(as_text=True)
    assert f'data-item="open_license-{scene.license_id}"' in admin
    scoped = _get(client, f"/console/items?mode=open_license&agency_id={agency.organisation_id}")
    assert f'data-item="open_license-{scene.license_id}"' not in scoped.get_data(as_text=True)
