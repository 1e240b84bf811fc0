"""The main menu: one declarative list; each feature adds its entries here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.models import OrganisationKind


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    visible: Callable[[object], bool] = lambda user: True


def _kind_in(*kinds: OrganisationKind) -> Callable[[object], bool]:
    return lambda user: bool(getattr(user, "is_authenticated", False) and user.organisation
                             and user.organisation.kind in kinds)


SUPPLY = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE, OrganisationKind.COMPANY)

NAV_ITEMS = [
    NavItem("search.patents", _l("专利检索")),
    NavItem("patents.index", _l("专利")),
    NavItem("needs.index", _l("技术需求")),
    NavItem("patents.inventory", _l("我的专利"), _kind_in(*SUPPLY)),
    NavItem("imports.upload", _l("导入"), _kind_in(*SUPPLY)),
    NavItem("needs.mine", _l("我的需求"), _kind_in(OrganisationKind.COMPANY)),
    NavItem("push.subscriptions", _l("订阅推送"), _kind_in(*SUPPLY)),
    NavItem("openlicense.catalogue", _l("开放许可")),
    NavItem("openlicense.mine", _l("我的开放许可"), _kind_in(*SUPPLY)),
    NavItem("openlicense.licenses", _l("我的许可"), _kind_in(*SUPPLY)),
    NavItem("deals.index", _l("交易"), _kind_in(*SUPPLY, OrganisationKind.AGENCY)),
    NavItem("pledges.index", _l("质押"), _kind_in(*SUPPLY, OrganisationKind.AGENCY, OrganisationKind.BANK)),
    NavItem("openlicense.mine", _l("开放许可核查"), lambda user: bool(getattr(user, "is_platform_admin", False))),
    NavItem("console.index", _l("运营控制台"), lambda user: bool(getattr(user, "is_platform_admin", False)) or _kind_in(OrganisationKind.AGENCY)(user)),
    NavItem("search.needs", _l("需求检索"), _kind_in(OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE,
                                                   OrganisationKind.AGENCY)),
]


def nav_items() -> list[dict[str, str]]:
    """Menu entries whose endpoint exists and which the current user may use."""
    views = current_app.view_functions
    return [{"endpoint": item.endpoint, "url": url_for(item.endpoint), "label": str(item.label)}
            for item in NAV_ITEMS if item.endpoint in views and item.visible(current_user)]
