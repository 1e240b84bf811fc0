"""Co-owners as organisations: linking a recorded name to the organisation registered under it, inviting one."""
from __future__ import annotations

import pytest

from marketplace.core import mail, transaction
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.patents import co_owners, services
from tests import factories

NAME = "贵州某某科技有限公司"


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university, co_owners=[NAME, "黔南研究院"])


def test_a_name_links_only_to_the_organisation_registered_under_it(ctx, university, patent):
    namesake = factories.make_user("company", org_name="贵州某某科技有限公司")
    impostor = factories.make_user("company", org_name="别的公司")
    [first, second] = co_owners.co_owners_of(university.load(), patent.id)
    assert first.name == NAME and [o.id for o in first.candidates] == [namesake.organisation_id]
    assert second.candidates == []
    with pytest.raises(ValidationFailed) as caught:
        co_owners.link_co_owner(university.load(), patent.id, NAME, impostor.organisation_id)
    assert "别的公司" in caught.value.fields["organisation_id"]
    with pytest.raises(ValidationFailed):
        co_owners.link_co_owner(university.load(), patent.id, NAME, university.organisation_id)
    with pytest.raises(ValidationFailed) as caught:
        co_owners.link_co_owner(university.load(), patent.id, "不存在的共有人", namesake.organisation_id)
    assert "name" in caught.value.fields
    co_owners.link_co_owner(university.load(), patent.id, NAME, namesake.organisation_id)
    transaction.commit()
    assert patent.load().co_owner_organisations() == {NAME: namesake.organisation_id, "黔南研究院": None}


def test_full_width_brackets_match_half_width_ones(ctx, university):
    patent = factories.make_granted_patent(university, co_owners=["贵州（黔南）某某有限公司"])
    namesake = factories.make_user("company", org_name="贵州(黔南)某某有限公司")
    co_owners.link_co_owner(university.load(), patent.id, "贵州（黔南）某某有限公司", namesake.organisation_id)
    assert patent.load().co_owner_organisations() == {"贵州（黔南）某某有限公司": namesake.organisation_id}


def test_only_the_owner_links_or_invites(ctx, university, other_university, patent):
    for call in (lambda: co_owners.co_owners_of(other_university.load(), patent.id),
                 lambda: co_owners.link_co_owner(other_university.load(), patent.id, NAME, None),
                 lambda: co_owners.invite_co_owner(other_university.load(), patent.id, NAME, "a@b.test")):
        with pytest.raises(NotFound):
            call()


def test_inviting_a_co_owner_mails_it_and_is_recorded(ctx, university, patent):
    mail.take_queued_mail()
    co_owners.invite_co_owner(university.load(), patent.id, "黔南研究院", "tto@qiannan.test")
    [(to, subject, body)] = mail.take_queued_mail()
    assert to == "tto@qiannan.test" and "黔南研究院" in body and "/register" in body
    [_first, second] = co_owners.co_owners_of(university.load(), patent.id)
    assert second.link.invited_email == "tto@qiannan.test"
    with pytest.raises(ValidationFailed):
        co_owners.invite_co_owner(university.load(), patent.id, "黔南研究院", "not an address")


def test_a_linked_co_owner_needs_no_invitation(ctx, university, patent):
    namesake = factories.make_user("company", org_name=NAME)
    co_owners.link_co_owner(university.load(), patent.id, NAME, namesake.organisation_id)
    with pytest.raises(Conflict):
        co_owners.invite_co_owner(university.load(), patent.id, NAME, "x@y.test")


def test_removing_a_co_owner_name_drops_its_link(ctx, university, patent):
    namesake = factories.make_user("company", org_name=NAME)
    co_owners.link_co_owner(university.load(), patent.id, NAME, namesake.organisation_id)
    transaction.commit()
    services.update_patent(university.load(), patent.id, {"co_owners": "黔南研究院"})
    transaction.commit()
    assert patent.load().co_owner_organisations() == {"黔南研究院": None} and patent.load().co_owner_links == []


def test_the_api_and_the_page(app, client, token_for, login, university, patent):
    with app.app_context():
        namesake = factories.make_user("company", org_name=NAME)
    headers = token_for(university)
    listed = client.get(f"/api/v1/patents/{patent.id}/co-owners", headers=headers).json
    assert listed[0]["candidates"][0]["id"] == namesake.organisation_id and listed[0]["organisation"] is None
    linked = client.put(f"/api/v1/patents/{patent.id}/co-owners", headers=headers,
                        json={"name": NAME, "organisation_id": namesake.organisation_id})
    assert linked.status_code == 200 and linked.json[0]["organisation"]["id"] == namesake.organisation_id
    assert client.put(f"/api/v1/patents/{patent.id}/co-owners", headers=token_for(namesake),
                      json={"name": NAME, "organisation_id": None}).status_code == 404
    login(university)
    page = client.get(f"/patents/{patent.id}").get_data(as_text=True)
    assert "已关联：" in page and "未关联平台机构" in page and "邀请注册" in page
    client.post(f"/inventory/{patent.id}/co-owners/link", data={"name": NAME, "organisation_id": ""})
    assert client.get(f"/api/v1/patents/{patent.id}/co-owners", headers=headers).json[0]["organisation"] is None
    client.post(f"/inventory/{patent.id}/co-owners/invite", data={"name": "黔南研究院", "email": "tto@qiannan.test"})
    assert client.get(f"/api/v1/patents/{patent.id}/co-owners", headers=headers).json[1]["invited_email"] == \
        "tto@qiannan.test"
