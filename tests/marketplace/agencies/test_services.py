"""Agency relationships without HTTP: who may ask, accept, decline, withdraw, change and revoke; is_authorised."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.agencies import services
from marketplace.agencies.access import is_authorised, organisations_served
from marketplace.agencies.models import AgencyPermission, RelationshipStatus
from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.mail import take_queued_mail
from marketplace.core.models import AuditEntry
from marketplace.extensions import db
from marketplace.push.models import Notification, NotificationKind
from tests import factories


def _ask(agency, organisation, permissions=("open_licenses",)):
    return services.request_relationship(agency.load(), {"organisation_id": organisation.organisation_id,
                                                         "permissions": list(permissions), "message": "愿为贵校服务"})


def test_an_agency_alone_cannot_make_an_organisation_served(ctx, agency, company):
    relationship = _ask(agency, company)
    assert relationship.status == RelationshipStatus.REQUESTED
    assert not is_authorised(agency.organisation_id, company.organisation_id, "serve")
    assert not is_authorised(agency.organisation_id, company.organisation_id, AgencyPermission.OPEN_LICENSES)
    with pytest.raises(Conflict):  # the side that asked cannot accept its own request
        services.accept_relationship(agency.load(), relationship.id)
    today = local_today()
    assert organisations_served(agency.organisation_id, today, today) == 0


def test_the_organisation_accepts_with_its_own_scope_and_start(ctx, agency, company):
    relationship = _ask(agency, company, ("open_licenses", "funnel"))
    start = local_today() - timedelta(days=10)
    services.accept_relationship(company.load(), relationship.id,
                                 {"permissions": ["open_licenses"], "start_on": start.isoformat()})
    assert relationship.status == RelationshipStatus.ACTIVE and relationship.started_on == start
    agency_id, org_id = agency.organisation_id, company.organisation_id
    assert is_authorised(agency_id, org_id, "serve") and is_authorised(agency_id, org_id, "open_licenses")
    assert is_authorised(agency_id, org_id, "open_licenses", on=start)
    assert not is_authorised(agency_id, org_id, "open_licenses", on=start - timedelta(days=1))
    assert not is_authorised(agency_id, org_id, "funnel")  # asked for, not granted
    assert not is_authorised(agency_id, org_id, "confirm_payments")
    assert sorted(p.permission.value for p in relationship.periods) == ["open_licenses", "serve"]


def test_an_organisation_asks_an_agency_which_accepts_on_its_terms(ctx, agency, university):
    start = local_today() + timedelta(days=5)
    relationship = services.request_relationship(university.load(), {
        "agency_id": agency.organisation_id, "permissions": "funnel,confirm_payments", "start_on": start})
    with pytest.raises(Conflict):
        services.accept_relationship(university.load(), relationship.id)
    with pytest.raises(ValidationFailed) as caught:  # the agency cannot widen the scope it is given
        services.accept_relationship(agency.load(), relationship.id, {"permissions": ["open_licenses"]})
    assert "permissions" in caught.value.fields
    services.accept_relationship(agency.load(), relationship.id)
    assert relationship.started_on == start and relationship.granted == [AgencyPermission.FUNNEL,
                                                                         AgencyPermission.CONFIRM_PAYMENTS]
    assert not is_authorised(agency.organisation_id, university.organisation_id, "funnel")  # not started yet
    assert is_authorised(agency.organisation_id, university.organisation_id, "funnel", on=start)
    assert is_authorised(agency.organisation_id, university.organisation_id, "confirm_payments", on=start)


def test_revocation_ends_everything_today_and_keeps_the_history(ctx, agency, company):
    relationship = _ask(agency, company, ("open_licenses", "funnel"))
    start = local_today() - timedelta(days=30)
    services.accept_relationship(company.load(), relationship.id, {"start_on": start})
    services.revoke_relationship(company.load(), relationship.id, {"reason": "合同到期"})
    today = local_today()
    assert relationship.status == RelationshipStatus.REVOKED and relationship.ended_on == today
    assert all(p.ended_on == today for p in relationship.periods)
    assert not is_authorised(agency.organisation_id, company.organisation_id, "serve")
    assert not is_authorised(agency.organisation_id, company.organisation_id, "open_licenses")
    yesterday = today - timedelta(days=1)
    assert is_authorised(agency.organisation_id, company.organisation_id, "open_licenses", on=yesterday)
    assert organisations_served(agency.organisation_id, start, yesterday) == 1
    assert organisations_served(agency.organisation_id, today, today) == 0
    with pytest.raises(Conflict):
        services.revoke_relationship(company.load(), relationship.id)
    again = _ask(agency, company)  # a new request is possible once the old one ended
    with pytest.raises(ValidationFailed) as caught:  # … but cannot reach back into the revoked term
        services.accept_relationship(company.load(), again.id, {"start_on": start})
    assert "start_on" in caught.value.fields


def test_only_the_organisation_changes_the_scope_and_only_from_today(ctx, agency, company):
    relationship = _ask(agency, company, ("open_licenses",))
    start = local_today() - timedelta(days=30)
    services.accept_relationship(company.load(), relationship.id, {"start_on": start})
    with pytest.raises(Forbidden):
        services.change_permissions(agency.load(), relationship.id, {"permissions": ["open_licenses", "funnel"]})
    with pytest.raises(Forbidden):
        services.revoke_relationship(agency.load(), relationship.id)
    services.change_permissions(company.load(), relationship.id, {"permissions": ["funnel"]})
    today = local_today()
    agency_id, org_id = agency.organisation_id, company.organisation_id
    assert not is_authorised(agency_id, org_id, "open_licenses")
    assert is_authorised(agency_id, org_id, "open_licenses", on=today - timedelta(days=1))  # the past keeps it
    assert is_authorised(agency_id, org_id, "funnel") and not is_authorised(agency_id, org_id, "funnel",
                                                                             on=today - timedelta(days=1))
    assert is_authorised(agency_id, org_id, "serve")
    with pytest.raises(ValidationFailed) as caught:
        services.change_permissions(company.load(), relationship.id, {"permissions": ["everything"]})
    assert "permissions" in caught.value.fields


def test_decline_and_withdraw_grant_nothing(ctx, agency, company, university):
    declined = _ask(agency, company)
    with pytest.raises(Conflict):
        services.decline_relationship(agency.load(), declined.id)
    services.decline_relationship(company.load(), declined.id, {"comment": "暂不需要"})
    assert declined.status == RelationshipStatus.DECLINED
    with pytest.raises(Conflict):
        services.accept_relationship(company.load(), declined.id)
    withdrawn = _ask(agency, university)
    with pytest.raises(Conflict):  # the organisation asked nothing: it declines, it does not withdraw
        services.withdraw_request(university.load(), withdrawn.id)
    services.withdraw_request(agency.load(), withdrawn.id)
    assert withdrawn.status == RelationshipStatus.WITHDRAWN
    with pytest.raises(Conflict):
        services.accept_relationship(university.load(), withdrawn.id)
    for org in (company, university):
        assert not is_authorised(agency.organisation_id, org.organisation_id, "serve")


def test_one_live_relationship_per_pair(ctx, agency, company):
    first = _ask(agency, company)
    with pytest.raises(Conflict) as caught:
        services.request_relationship(company.load(), {"agency_id": agency.organisation_id})
    assert caught.value.fields == {"relationship": str(first.id)}


def test_bad_requests_name_the_field(ctx, agency, other_university, company):
    with pytest.raises(ValidationFailed) as caught:
        services.request_relationship(agency.load(), {"organisation_id": agency.organisation_id})
    assert "organisation_id" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.request_relationship(company.load(), {"agency_id": other_university.organisation_id})
    assert "agency_id" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.request_relationship(agency.load(), {"organisation_id": company.organisation_id,
                                                      "start_on": "2026-01-01"})
    assert "start_on" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.request_relationship(company.load(), {"agency_id": agency.organisation_id, "start_on": "1999-12-31"})
    assert "start_on" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.request_relationship(agency.load(), {"organisation_id": "x"})
    assert "organisation_id" in caught.value.fields


def test_members_and_outsiders_cannot_decide(ctx, agency, company, other_university, platform_admin):
    relationship = _ask(agency, company)
    member = factories.add_member(company, "member")
    with pytest.raises(Forbidden):
        services.accept_relationship(member.load(), relationship.id)
    with pytest.raises(Forbidden):
        services.accept_relationship(platform_admin.load(), relationship.id)
    with pytest.raises(NotFound):
        services.accept_relationship(other_university.load(), relationship.id)
    with pytest.raises(NotFound):
        services.get_relationship(other_university.load(), relationship.id)
    admin_of_company = factories.add_member(company, "admin")
    services.accept_relationship(admin_of_company.load(), relationship.id)
    assert relationship.status == RelationshipStatus.ACTIVE
    assert services.get_relationship(platform_admin.load(), relationship.id) is relationship


def test_each_step_tells_the_other_side_and_is_audited(ctx, agency, company):
    company.organisation().contact_email = "ip@company.test"
    take_queued_mail()
    relationship = _ask(agency, company)
    services.accept_relationship(company.load(), relationship.id)
    services.revoke_relationship(company.load(), relationship.id, {"reason": "不再合作"})
    inbox = set(db.session.scalars(select(Notification.organisation_id).where(
        Notification.kind == NotificationKind.AGENCY)))
    company_inbox = db.session.scalars(select(Notification.title).where(
        Notification.organisation_id == company.organisation_id)).all()
    agency_inbox = db.session.scalars(select(Notification.title).where(
        Notification.organisation_id == agency.organisation_id)).all()
    assert len(company_inbox) == 1 and "申请" in company_inbox[0]
    assert db.session.scalar(select(Notification.read_at).where(  # accepting the request was reading it
        Notification.organisation_id == company.organisation_id)) is not None
    assert len(agency_inbox) == 2 and any("撤销" in title for title in agency_inbox)
    assert inbox == {company.organisation_id, agency.organisation_id}
    mails = take_queued_mail()
    assert any(to == "ip@company.test" and "申请" in subject for to, subject, _body in mails)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == relationship.id,
                                                                 AuditEntry.entity_type == "agency_relationship"))
    assert list(actions) == ["agency.requested", "agency.accepted", "agency.revoked"]
    transaction.commit()


def test_an_empty_period_serves_no_one(ctx, agency, company):
    relationship = _ask(agency, company)
    services.accept_relationship(company.load(), relationship.id)
    services.revoke_relationship(company.load(), relationship.id)
    today = local_today()
    assert organisations_served(agency.organisation_id, date(2000, 1, 1), today + timedelta(days=1)) == 0
