"""The getters' access policy: a platform admin or a party sees a row; anyone else gets the 404 of a missing row."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from marketplace.accounts.models import Organisation
from marketplace.accounts.permissions import get_visible, may_see
from marketplace.core.errors import NotFound
from marketplace.extensions import db


def _parties(organisation: Organisation) -> tuple[int]:
    return (organisation.id,)


def test_admin_or_party_else_404_role_by_role(ctx, university, company, platform_admin):
    own = university.organisation_id
    assert get_visible(university.load(), Organisation, own, _parties, "无").id == own  # the party
    assert get_visible(platform_admin.load(), Organisation, own, _parties, "无").id == own  # a platform admin
    for outsider in (company.load(), AnonymousUserMixin(), None):
        with pytest.raises(NotFound) as refused:
            get_visible(outsider, Organisation, own, _parties, "机构不存在")
        assert refused.value.message == "机构不存在"
    with pytest.raises(NotFound) as missing:  # a missing row answers exactly like a hidden one
        get_visible(platform_admin.load(), Organisation, 10**9, _parties, "机构不存在")
    assert missing.value.message == "机构不存在"


def test_also_widens_the_policy_and_lock_reads_the_row(ctx, university, company):
    own = university.organisation_id
    found = get_visible(company.load(), Organisation, own, _parties, "无", also=lambda o: o.kind.value == "university",
                        lock=True)
    assert found is db.session.get(Organisation, own)


def test_a_user_without_organisation_is_no_party_of_a_row_without_one(ctx, platform_admin):
    admin = platform_admin.load()
    admin.is_platform_admin = False
    assert admin.organisation_id is None
    assert may_see(admin, (None,)) is False
