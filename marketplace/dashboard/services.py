"""Each role's home after sign-in: its next actions, each a count, a short list and where it is handled.

Reads only: every section is a count query plus a few rows of the user's own
organisation (never another's), so the page answers in a handful of queries
and a GET writes nothing. Sections carry endpoints and arguments, not URLs:
the page and the API turn them into links.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, exists, func, or_, select

from marketplace.accounts.models import OrganisationKind, User
from marketplace.consents import services as consents
from marketplace.console.cells import cells, merge, month_start
from marketplace.console.ledger import Filters, Scope
from marketplace.console.models import MatchmakingEvent
from marketplace.console.statistics import to_amount
from marketplace.console.targets import target_progress
from marketplace.core.dates import local_today
from marketplace.core.i18n import gettext as _
from marketplace.core.money import format_cny
from marketplace.deals.models import Deal, DealStatus
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.openlicense.models import (
    DeclarationStatus, LicenseGrant, LicensePayment, OpenLicenseDeclaration, PaymentInstallment, PaymentStatus,
)
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.vocab import PublicationState
from marketplace.push.models import Notification, NotificationKind
from marketplace.saved.services import saved_with_news
from marketplace.search.models import Match, MatchStatus

SHOWN = 5  # rows listed per section; the count says how many there are
DUE_WITHIN_DAYS = 30  # payments falling due this soon are listed as due
SUPPLIERS = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE)
OPEN_DEALS = (DealStatus.NEGOTIATING, DealStatus.SIGNED, DealStatus.RECORDED)


@dataclass
class Item:
    """One row of a section: what it is, a short detail, and the page where it is handled."""

    label: str
    detail: str
    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Section:
    """One kind of next action: how many, the first few, and the page listing them all."""

    key: str
    title: str
    count: int
    items: list[Item]
    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Home:
    role: str
    sections: list[Section]


def role_of(user: User) -> str:
    """supplier (universities, institutes), company, agency, or other (financial organisations, admins)."""
    organisation = user.organisation
    if organisation is None:
        return "other"
    if organisation.kind in SUPPLIERS:
        return "supplier"
    if organisation.kind == OrganisationKind.COMPANY:
        return "company"
    if organisation.kind == OrganisationKind.AGENCY:
        return "agency"
    return "other"


def _count(stmt: Select[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def _section(key: str, title: str, stmt: Select[Any], row: Callable[[Any], Item], endpoint: str,
             **args: Any) -> Section:
    """A section from one statement: its count, and its first ``SHOWN`` rows turned into items."""
    rows = list(db.session.scalars(stmt.limit(SHOWN)))
    return Section(key, title, _count(stmt), [row(r) for r in rows], endpoint, args)


# --- what every organisation sees -----------------------------------------------------------------

def consents_section(user: User) -> Section:
    found, total = consents.awaiting(user, 1, SHOWN)
    items = [Item(c.proposal.act.label, c.proposal.summary, "consents.proposal", {"proposal_id": c.proposal_id})
             for c in found]
    return Section("consents", _("待我确认"), total, items, "consents.index")


def saved_searches_section(user: User) -> Section:
    """The user's saved searches that have new results (its own only: saved searches are private)."""
    fresh = [item for item in saved_with_news(user) if item.new_count]
    items = [Item(item.search.name, _("%(n)d 条新结果", n=item.new_count), "saved.index") for item in fresh[:SHOWN]]
    return Section("saved_searches", _("有新结果的保存检索"), len(fresh), items, "saved.index")


def _unread(organisation_id: int, kinds: tuple[NotificationKind, ...]) -> Select[Any]:
    return (select(Notification).where(Notification.organisation_id == organisation_id,
                                       Notification.kind.in_(kinds), Notification.read_at.is_(None))
            .order_by(Notification.id.desc()))


def _notification(n: Notification) -> Item:
    return Item(n.shown_title, n.created_at.strftime("%Y-%m-%d"), "push.open_notification", {"notification_id": n.id})


# --- universities and institutes ------------------------------------------------------------------

def _own_patents(organisation_id: int) -> Select[Any]:
    return select(Patent).where(Patent.owner_id == organisation_id).order_by(Patent.updated_at.desc(),
                                                                             Patent.id.desc())


def _patent(p: Patent) -> Item:
    return Item(p.title, p.application_number, "patents.edit", {"patent_id": p.id})


def supplier_sections(user: User, today: date) -> list[Section]:
    org = user.organisation_id or 0
    no_segment = ~exists().where(PatentSegment.patent_id == Patent.id)
    open_declarations = (select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.owner_id == org,
        or_(OpenLicenseDeclaration.status == DeclarationStatus.DRAFT,
            (OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED) & OpenLicenseDeclaration.needs_withdrawal))
        .order_by(OpenLicenseDeclaration.id.desc()))
    unrecorded = (select(LicenseGrant).where(or_(LicenseGrant.licensor_id == org, LicenseGrant.licensee_id == org),
                                             LicenseGrant.recordal_number.is_(None))
                  .order_by(func.coalesce(LicenseGrant.effective_on, LicenseGrant.notice_date), LicenseGrant.id))
    to_confirm = (select(LicensePayment).join(LicenseGrant).where(LicenseGrant.licensor_id == org,
                                                                  LicensePayment.status == PaymentStatus.REPORTED)
                  .order_by(LicensePayment.paid_on, LicensePayment.id))

    def declaration(d: OpenLicenseDeclaration) -> Item:
        why = _("须撤回或暂停") if d.needs_withdrawal else _("草稿，尚未公告")
        return Item(d.patent.title, why, "openlicense.detail", {"declaration_id": d.id})

    def recordal(g: LicenseGrant) -> Item:
        late = _("已逾期") if g.recordal_overdue(today) else ""
        detail = _("备案期限 %(day)s", day=g.recordal_deadline.isoformat()) + (f" · {late}" if late else "")
        return Item(g.patent.title, detail, "openlicense.license_detail", {"license_id": g.id})

    def payment(p: LicensePayment) -> Item:
        return Item(p.license.patent.title, f"{format_cny(p.amount)} · {p.paid_on.isoformat()}",
                    "openlicense.payment", {"payment_id": p.id})

    return [
        _section("drafts", _("待上架的草稿"),
                 _own_patents(org).where(Patent.state == PublicationState.DRAFT), _patent, "patents.inventory",
                 state="draft"),
        _section("incomplete", _("缺少分级或产业领域的专利"),
                 _own_patents(org).where(or_(Patent.grade.is_(None), Patent.grade == "", no_segment)), _patent,
                 "patents.inventory"),
        _section("interest", _("新的意向与消息"),
                 _unread(org, (NotificationKind.INTEREST, NotificationKind.MESSAGE)), _notification, "push.inbox"),
        consents_section(user),
        _section("declarations", _("需处理的开放许可声明"), open_declarations, declaration, "openlicense.mine"),
        _section("recordals", _("备案期限"), unrecorded, recordal, "openlicense.licenses"),
        _section("payments", _("待确认的付款"), to_confirm, payment, "openlicense.licenses"),
    ]


# --- companies --------------------------------------------------------------------------------------

def company_sections(user: User, today: date) -> list[Section]:
    org = user.organisation_id or 0
    new_matches = (select(Match).join(Need, Need.id == Match.need_id)
                   .where(Need.organisation_id == org, Match.status == MatchStatus.PUSHED)
                   .order_by(Match.pushed_at.desc(), Match.id.desc()))
    licenses = (select(LicenseGrant).where(LicenseGrant.licensee_id == org)
                .order_by(LicenseGrant.notice_date.desc(), LicenseGrant.id.desc()))
    unpaid = select(func.coalesce(func.sum(LicensePayment.amount), 0)).where(
        LicensePayment.installment_id == PaymentInstallment.id,
        LicensePayment.status != PaymentStatus.REJECTED).scalar_subquery()
    due = (select(PaymentInstallment).join(LicenseGrant).where(
        LicenseGrant.licensee_id == org, PaymentInstallment.due_date <= today + timedelta(days=DUE_WITHIN_DAYS),
        PaymentInstallment.amount.is_not(None), PaymentInstallment.amount > unpaid)
        .order_by(PaymentInstallment.due_date, PaymentInstallment.id))

    def match(m: Match) -> Item:
        return Item(m.patent.title, _("需求：%(title)s", title=m.need.title), "push.match", {"match_id": m.id})

    def license_row(g: LicenseGrant) -> Item:
        state = _("已生效") if g.is_effective else _("尚未生效")
        return Item(g.patent.title, f"{state} · {g.licensor.name}", "openlicense.license_detail",
                    {"license_id": g.id})

    def installment(i: PaymentInstallment) -> Item:
        late = f" · {_('已逾期')}" if i.due_date < today else ""
        owed = format_cny(i.unclaimed if i.unclaimed is not None else Decimal("0.00"))
        return Item(i.license.patent.title, f"{owed} · {i.due_date.isoformat()}{late}",
                    "openlicense.license_detail", {"license_id": i.license_id})

    return [
        _section("matches", _("需求的新匹配"), new_matches, match, "needs.mine"),
        _section("pushes", _("推送与消息"),
                 _unread(org, (NotificationKind.MATCH_PUSHED, NotificationKind.DIGEST, NotificationKind.MESSAGE)),
                 _notification, "push.inbox"),
        consents_section(user),
        saved_searches_section(user),
        _section("licenses", _("我获得的许可"), licenses, license_row, "openlicense.licenses"),
        _section("payments_due", _("应付款项"), due, installment, "openlicense.licenses"),
    ]


# --- agencies ---------------------------------------------------------------------------------------

def month_figures(agency_id: int, today: date) -> tuple[int, int]:
    """Deals and cents the agency brokered this month so far, as the console counts them."""
    found = merge(cells(Scope(agency_id), Filters(start=month_start(today), end=today), "all", per_month=False))
    return sum(n for n, _c in found.values()), sum(c for _n, c in found.values())


def targets_section(agency_id: int, today: date) -> Section:
    count, cents = month_figures(agency_id, today)
    items = [Item(_("本月成交"), _("%(n)d 笔 · %(amount)s", n=count, amount=format_cny(to_amount(cents))),
                  "console.index")]
    for progress in target_progress(agency_id, today.year, today):
        if progress.target is None or progress.is_rate:
            continue
        share = f" · {progress.percent}%" if progress.percent is not None else ""
        items.append(Item(progress.label, _("本年 %(actual)s / 目标 %(target)s", actual=progress.actual,
                                             target=progress.target) + share, "console.targets_page"))
    return Section("targets", _("本月与年度目标"), count, items, "console.targets_page")


def agency_sections(user: User, today: date) -> list[Section]:
    org = user.organisation_id or 0
    pipeline = (select(Deal).where(Deal.agency_id == org, Deal.status.in_(OPEN_DEALS))
                .order_by(Deal.updated_at.desc(), Deal.id.desc()))
    coming = (select(MatchmakingEvent).where(MatchmakingEvent.agency_id == org, MatchmakingEvent.held_on >= today)
              .order_by(MatchmakingEvent.held_on, MatchmakingEvent.id))

    def deal(d: Deal) -> Item:
        return Item(d.title or d.mode.label, f"{d.status.label} · {format_cny(d.amount)}", "deals.detail",
                    {"deal_id": d.id})

    def event(e: MatchmakingEvent) -> Item:
        return Item(e.title, e.held_on.isoformat(), "console.event_page", {"event_id": e.id})

    return [
        _section("pipeline", _("在办交易"), pipeline, deal, "deals.index"),
        targets_section(org, today),
        _section("events", _("即将举行的对接活动"), coming, event, "console.events_page"),
        consents_section(user),
    ]


def build_home(user: User, today: date | None = None) -> Home:
    """The signed-in user's next actions, by the kind of its organisation; only its own organisation's items."""
    today = today or local_today()
    role = role_of(user)
    builders: dict[str, Callable[[User, date], list[Section]]] = {
        "supplier": supplier_sections, "company": company_sections, "agency": agency_sections}
    builder = builders.get(role)
    if builder is not None:
        sections = builder(user, today)
    else:
        sections = [consents_section(user)] if user.organisation_id is not None else []
    if role != "company":  # the other roles see the section once a saved search has news
        news = saved_searches_section(user)
        sections += [news] if news.count else []
    return Home(role, sections)
