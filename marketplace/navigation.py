"""The main menu: one declarative list; each feature adds its entries here."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
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
    group: str = ""


def _kind_in(*kinds: OrganisationKind) -> Callable[[Any], bool]:
    return lambda user: bool(getattr(user, "is_authenticated", False) and user.organisation
                             and user.organisation.kind in kinds)


def _platform_admin(user: object) -> bool:
    return bool(getattr(user, "is_platform_admin", False))


SUPPLY = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE, OrganisationKind.COMPANY)
FINANCIAL = (OrganisationKind.BANK, OrganisationKind.GUARANTEE, OrganisationKind.FINANCIAL)
_supplier = _kind_in(*SUPPLY)
_company = _kind_in(OrganisationKind.COMPANY)
_agency = _kind_in(OrganisationKind.AGENCY)

# Groups become drop-down menus, in this order; items without a group stand alone.
GROUPS = {"find": _l("找专利"), "supply": _l("我的供给"), "demand": _l("需求与订阅"), "deals": _l("交易"),
          "admin": _l("平台管理")}

NAV_ITEMS = [
    NavItem("search.patents", _l("专利检索"), group="find"),
    NavItem("patents.index", _l("专利列表"), group="find"),
    NavItem("openlicense.catalogue", _l("开放许可目录"), group="find"),
    NavItem("saved.index", _l("保存的检索"), lambda user: bool(getattr(user, "is_authenticated", False)),
            group="find"),
    NavItem("needs.index", _l("技术需求"), group="find"),
    NavItem("approvals.notices", _l("成果转化公示"), group="find"),
    NavItem("fees.last_call", _l("放弃前推介"), group="find"),
    NavItem("search.needs", _l("需求检索"), _kind_in(OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE,
                                                   OrganisationKind.AGENCY), group="find"),
    NavItem("patents.inventory", _l("我的专利"), _supplier, group="supply"),
    NavItem("imports.upload", _l("导入专利清单"), _supplier, group="supply"),
    NavItem("openlicense.mine", _l("我的开放许可"), _supplier, group="supply"),
    NavItem("cnipa.index", _l("开放许可公告导入导出"), _supplier, group="supply"),
    NavItem("fees.index", _l("年费台账"), _supplier, group="supply"),
    NavItem("fees.review_page", _l("年度维持评估"), _supplier, group="supply"),
    NavItem("push.owner_feedback", _l("企业反馈"), _supplier, group="supply"),
    NavItem("grading.index", _l("分级标准"), _supplier, group="supply"),
    NavItem("approvals.index", _l("内部审批"), _kind_in(OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE),
            group="supply"),
    NavItem("rewards.index", _l("发明人奖酬"), _kind_in(OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE),
            group="supply"),
    NavItem("rewards.authority_report", _l("年度转化报告"),
            _kind_in(OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE), group="supply"),
    NavItem("needs.mine", _l("我的技术需求"), _company, group="demand"),
    NavItem("openlicense.licenses", _l("我获得的许可"), _supplier, group="demand"),
    NavItem("push.subscriptions", _l("订阅推送"), _supplier, group="demand"),
    NavItem("deals.index", _l("交易台账"), _kind_in(*SUPPLY, OrganisationKind.AGENCY), group="deals"),
    NavItem("pledges.index", _l("质押融资"), _kind_in(*SUPPLY, OrganisationKind.AGENCY, *FINANCIAL), group="deals"),
    NavItem("agencies.index", _l("运营机构授权"), _kind_in(*SUPPLY, *FINANCIAL), group="deals"),
    NavItem("agencies.index", _l("服务机构"), lambda user: _platform_admin(user) or _agency(user), group="deals"),
    NavItem("console.index", _l("运营控制台"), lambda user: _platform_admin(user) or _agency(user), group="deals"),
    NavItem("cnipa.index", _l("开放许可公告"), lambda user: _platform_admin(user) or _agency(user), group="deals"),
    NavItem("openlicense.mine", _l("开放许可核查"), _platform_admin, group="admin"),
    NavItem("push.admin_jobs", _l("后台任务"), _platform_admin, group="admin"),
]


def nav_items() -> list[dict[str, object]]:
    """The menu for the current user: stand-alone links and groups, only endpoints they may use."""
    views = current_app.view_functions
    visible = [item for item in NAV_ITEMS if item.endpoint in views and item.visible(current_user)]
    entries: list[dict[str, object]] = []
    for key, label in GROUPS.items():
        links = [{"endpoint": i.endpoint, "url": url_for(i.endpoint), "label": str(i.label)}
                 for i in visible if i.group == key]
        if links:
            entries.append({"label": str(label), "items": links})
    return entries
