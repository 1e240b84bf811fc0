"""Needs tagged with GB/T 4754 国民经济行业 names, as real needs arrive: accepted, kept, mapped to segments."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.needs import services
from marketplace.needs.models import Need
from tests.marketplace.needs.records import need_values, record, records


def _post(user_ref, **values) -> Need:
    return services.create_need(user_ref.load(), {"title": "电机驱动控制器", **values})


def test_every_real_need_is_accepted_with_its_own_tag(ctx, company):
    for rec in records():
        need = services.create_need(company.load(), need_values(rec, segments=[], industry=rec["classification"]))
        assert bool(need.industry_codes) == bool(rec["classification"].strip())


def test_a_division_tag_is_kept_and_mapped(ctx, company):
    need = _post(company, industry=["制造业——电气机械和器材制造业"], segments=["SEI-06"])
    assert need.industry_codes == ["C38"]
    assert set(need.segments) == {"SEI-06", "TM-E4", "PII-3"}


def test_a_gbt_name_given_as_a_segment_becomes_a_tag(ctx, company):
    need = _post(company, segments=["信息传输、软件和信息技术服务业", "新材料"])
    assert need.industry_codes == ["I"]
    assert set(need.segments) == {"SEI-03", "TM-A", "PII-2", "SEI-01"}


def test_a_broad_section_is_kept_without_inventing_a_segment(ctx, company):
    need = _post(company, industry="制造业")
    assert need.industry_codes == ["C"] and need.segments == []


def test_unknown_tags_are_refused_by_field(ctx, company):
    with pytest.raises(services.ValidationFailed) as caught:
        _post(company, industry=["量子炼金术"])
    assert "量子炼金术" in caught.value.fields["industry"]


def test_changing_the_tag_replaces_the_segments_it_brought_and_keeps_chosen_ones(ctx, company):
    need = _post(company, industry=["信息传输、软件和信息技术服务业"], segments=["SEI-06"])
    services.update_need(company.load(), need.id, {"industry": ["制造业——医药制造业"]})
    db.session.expire_all()
    need = db.session.get(Need, need.id)
    assert need.industry_codes == ["C27"]
    assert set(need.segments) == {"SEI-06", "TM-C1", "PII-5", "SEI-04"}
    services.update_need(company.load(), need.id, {"title": "只改标题"})
    assert db.session.get(Need, need.id).industry_codes == ["C27"]  # a change naming neither keeps the tags


def test_api_accepts_and_returns_the_tags(client, company, token_for):
    body = {**need_values(record("need-2")), "segments": ["制造业——电气机械和器材制造业"]}
    response = client.post("/api/v1/needs", json=body, headers=token_for(company))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["industry"] == [{"code": "C38", "name": "制造业—电气机械和器材制造业"}]
    assert {"TM-E4", "PII-3"} <= set(data["segments"])
    refused = client.post("/api/v1/needs", json={**body, "industry": ["量子炼金术"]}, headers=token_for(company))
    assert refused.status_code == 422 and "industry" in refused.get_json()["fields"]


def test_form_offers_the_classification_and_the_page_shows_the_tag(client, login, company):
    login(company)
    form = client.get("/needs/new").get_data(as_text=True)
    assert "国民经济行业分类" in form and 'value="C38"' in form
    response = client.post("/needs/new", data={"title": "伺服电机控制器", "industry": ["C38"], "public": "y"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "制造业—电气机械和器材制造业" in page and "输变电设备" in page
