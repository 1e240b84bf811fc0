"""Inventors, shares, the reward policy, deductible costs, the rewards due per income and inventor, payments.

An **income** of an institution is money it actually received, in the year it
received it (art. 45 rewards the income of a transformation, not a contract
still to be paid): a payment of a binding transfer or license it sold, or of
an open license (fee or royalty), each counted once the institution, the
payee, confirmed it (``deals.payments``, ``openlicense.payments``: a payment
only reported by the buyer counts for nothing) and dated by the day it was
paid; and a binding equity deal (signed, recorded or completed), whose shares
are received when it binds, valued at its amount and dated by its contract. Its
reward is computed by ``legal.rewards`` with the institution's policy, on the
income minus the costs it bears (a transfer's or license's costs are the
deal's, deducted from its confirmed payments in the order received), and split among the inventors of
its patents: each patent carries an equal part, divided by the inventors'
shares. A patent without inventors leaves its part unassigned (shown as such).

Every function here is for members of the institution only: ``office_of``
answers 403 to anyone else, platform admins included, and rows of another
institution look absent (404).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, select

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import get_visible
from marketplace.approvals.config import office_of
from marketplace.core.audit import record_audit
from marketplace.core.dates import parse_date
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.money import parse_money
from marketplace.core.text import require_plain
from marketplace.deals.models import Deal, DealMode, DealPatent, DealPayment
from marketplace.deals.records import BINDING
from marketplace.extensions import db
from marketplace.legal import rewards as rules
from marketplace.openlicense.models import LicenseGrant, LicensePayment, PaymentStatus
from marketplace.patents.models import Patent
from marketplace.rewards.models import IncomeCost, Inventor, InventorShare, RewardPayment, RewardPolicy

SOURCES = ("deal", "deal_payment", "license_payment")
MAX_INVENTORS = 50


def manager_of(user: User) -> Organisation:
    """The user's institution (``office_of``: 403 for anyone else, platform admins included) when the user is one
    of its owners or admins: they set the policy, record inventors, shares and costs, and mark rewards paid."""
    organisation = office_of(user)
    if user.role is None or not user.role.manages_members:
        raise Forbidden(_("仅机构管理员可以管理发明人奖酬"))
    return organisation


# --- policy ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Policy:
    transfer_license_percent: Decimal
    equity_percent: Decimal
    agreement: str
    year_start_month: int
    statutory: bool  # nothing recorded: the statute's minimums and the calendar year

    def percent(self, kind: str) -> Decimal:
        return self.equity_percent if kind == "equity" else self.transfer_license_percent

    def year_range(self, year: int) -> tuple[date, date]:
        """The institution's reporting year ``year``: from the 1st of its start month to the day before the next."""
        start = date(year, self.year_start_month, 1)
        after = date(year + 1, self.year_start_month, 1)
        return start, date.fromordinal(after.toordinal() - 1)

    def year_of(self, day: date) -> int:
        return day.year if day.month >= self.year_start_month else day.year - 1


def policy_of(organisation_id: int) -> Policy:
    found = db.session.get(RewardPolicy, organisation_id)
    if found is None:
        return Policy(rules.statutory_minimum("transfer"), rules.statutory_minimum("equity"), "", 1, True)
    return Policy(found.transfer_license_percent, found.equity_percent, found.agreement, found.year_start_month,
                  False)


def _percent(raw: Any, name: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip().removesuffix("%"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed.field(name, _("不是有效的百分比")) from None
    if not value.is_finite() or not 0 <= value <= 100 or value != value.quantize(rules.CENT):
        raise ValidationFailed.field(name, _("应在 0–100 之间，最多两位小数"))
    return value


def set_policy(user: User, raw: Mapping[str, Any]) -> Policy:
    """Set the reward percentages (transfer/license on net income, equity on shares), the agreement allowing a
    share below the statute, and the month the reporting year starts."""
    organisation = manager_of(user)
    errors: dict[str, str] = {}
    agreement = str(raw.get("agreement") or "").strip()
    if len(agreement) > 500:
        errors["agreement"] = _("最多 %(n)d 字", n=500)
    else:
        try:
            require_plain(agreement, "agreement")
        except ValidationFailed as error:
            errors.update(error.fields)
    values: dict[str, Any] = {}
    for name, kind in (("transfer_license_percent", "transfer"), ("equity_percent", "equity")):
        try:
            values[name] = _percent(raw.get(name, ""), name)
        except ValidationFailed as error:
            errors.update(error.fields)
            continue
        if not rules.percent_allowed(kind, values[name], bool(agreement)):
            errors[name] = _("低于法定最低比例 %(minimum)s%%：须登记与发明人的约定",
                             minimum=rules.statutory_minimum(kind))
    month = str(raw.get("year_start_month") or "1").strip()
    if not month.isdigit() or not 1 <= int(month) <= 12:
        errors["year_start_month"] = _("应为 1–12 月")
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    found = db.session.scalar(select(RewardPolicy).where(RewardPolicy.organisation_id == organisation.id))
    if found is None:
        found = RewardPolicy(organisation_id=organisation.id)
        db.session.add(found)
    found.transfer_license_percent = values["transfer_license_percent"]
    found.equity_percent = values["equity_percent"]
    found.agreement = agreement
    found.year_start_month = int(month)
    db.session.flush()
    record_audit("rewards.policy_set", "organisation", organisation.id,
                 {**values, "agreement": agreement, "year_start_month": int(month)}, actor=user)
    return policy_of(organisation.id)


# --- inventors and shares -------------------------------------------------------------------------------------

def inventors_of(user: User) -> list[Inventor]:
    organisation = office_of(user)
    return list(db.session.scalars(select(Inventor).where(Inventor.organisation_id == organisation.id)
                                   .order_by(Inventor.name, Inventor.id)))


def add_inventor(user: User, raw: Mapping[str, Any]) -> Inventor:
    organisation = manager_of(user)
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed.field("name", _("须填写姓名（≤100字）"))
    staff_number = str(raw.get("staff_number") or "").strip() or None
    if staff_number is not None and len(staff_number) > 50:
        raise ValidationFailed.field("staff_number", _("最多 %(n)d 字", n=50))
    if staff_number is not None and db.session.scalar(select(Inventor.id).where(
            Inventor.organisation_id == organisation.id, Inventor.staff_number == staff_number)) is not None:
        raise ValidationFailed.field("staff_number", _("本机构已有此工号的发明人"))
    inventor = Inventor(organisation_id=organisation.id, name=require_plain(name, "name"),
                        staff_number=require_plain(staff_number, "staff_number") if staff_number else None)
    db.session.add(inventor)
    db.session.flush()
    record_audit("rewards.inventor_added", "inventor", inventor.id, {"name": name, "staff_number": staff_number},
                 actor=user)
    return inventor


def get_inventor(user: User, inventor_id: int) -> Inventor:
    office_of(user)
    return get_visible(user, Inventor, inventor_id, lambda i: [i.organisation_id], _("发明人不存在"), admins=False)


def own_patent(user: User, patent_id: int) -> Patent:
    """A patent the institution holds, or sold in a deal (a completed transfer moved it to the buyer, but the
    institution's inventors made it)."""
    organisation = office_of(user)

    def sold(patent: Patent) -> bool:
        return db.session.scalar(select(DealPatent.deal_id).join(Deal).where(
            DealPatent.patent_id == patent.id, Deal.seller_id == organisation.id).limit(1)) is not None
    return get_visible(user, Patent, patent_id, lambda p: [p.owner_id], _("专利不存在"), also=sold, admins=False)


def shares_of(patent_id: int) -> list[InventorShare]:
    return list(db.session.scalars(select(InventorShare).where(InventorShare.patent_id == patent_id)
                                   .order_by(InventorShare.inventor_id)))


def set_shares(user: User, patent_id: int, raw: Any) -> list[InventorShare]:
    """Replace the patent's inventors: ``[{inventor_id, share}]``, the institution's people, shares adding up to
    100 (percent, two decimals)."""
    organisation = manager_of(user)
    patent = own_patent(user, patent_id)
    if not isinstance(raw, list) or not raw or len(raw) > MAX_INVENTORS:
        raise ValidationFailed.field("inventors", _("须列出 1–%(n)d 位发明人及其份额", n=MAX_INVENTORS))
    known = set(db.session.scalars(select(Inventor.id).where(Inventor.organisation_id == organisation.id)))
    shares: dict[int, Decimal] = {}
    for entry in raw:
        if not isinstance(entry, Mapping):
            raise ValidationFailed.field("inventors", _("须列出 1–%(n)d 位发明人及其份额", n=MAX_INVENTORS))
        try:
            inventor_id = int(entry.get("inventor_id"))
        except (TypeError, ValueError):
            raise ValidationFailed.field("inventor_id", _("应为整数")) from None
        if inventor_id not in known:
            raise ValidationFailed.field("inventor_id", _("本机构没有这位发明人"))
        if inventor_id in shares:
            raise ValidationFailed.field("inventor_id", _("同一发明人只能列一次"))
        shares[inventor_id] = _percent(entry.get("share", ""), "share")
    problem = rules.shares_problem(list(shares.values()))
    if problem is not None:
        raise ValidationFailed.field("share", _("每人份额大于 0，合计须为 100%%（现为 %(total)s%%）",
                                                total=sum(shares.values(), Decimal(0))))
    db.session.execute(delete(InventorShare).where(InventorShare.patent_id == patent.id))
    db.session.add_all(InventorShare(patent_id=patent.id, inventor_id=i, share=s) for i, s in shares.items())
    db.session.flush()
    record_audit("rewards.shares_set", "patent", patent.id, {str(i): s for i, s in shares.items()}, actor=user)
    return shares_of(patent.id)


# --- incomes, costs and rewards -------------------------------------------------------------------------------

@dataclass
class Income:
    """One income of the institution and the reward it owes, per inventor (``None``: patents without inventors)."""

    source: str
    item_id: int
    kind: str  # transfer, license or equity
    day: date
    title: str
    partner: str
    amount: Decimal
    patent_ids: list[int]
    costs: Decimal = Decimal("0.00")
    percent: Decimal = Decimal("0.00")
    reward: Decimal = Decimal("0.00")
    parts: dict[int | None, Decimal] = field(default_factory=dict)
    paid_on: date | None = None
    deal_id: int | None = None  # the deal an equity income or a deal payment belongs to

    @property
    def base(self) -> Decimal:
        return rules.reward_base(self.kind, self.amount, self.costs)

    @property
    def part_list(self) -> list[dict[str, Any]]:
        return [{"inventor_id": key, "amount": amount} for key, amount in self.parts.items()]

    @property
    def key(self) -> str:
        return f"{self.source}:{self.item_id}"


def _deal_incomes(organisation_id: int, start: date, end: date) -> list[Income]:
    """Equity deals by contract date, and confirmed payments of transfers and licenses by the day paid.

    Columns, not entities: an institution's year runs to thousands of deals.
    """
    equity = (Deal.seller_id == organisation_id, Deal.status.in_(BINDING), Deal.mode == DealMode.EQUITY,
              Deal.contract_date >= start, Deal.contract_date <= end)
    found = [Income("deal", row.id, row.mode.value, row.contract_date, row.title or _("交易 #%(id)s", id=row.id),
                    row.partner, row.amount, [], deal_id=row.id)
             for row in db.session.execute(
                 select(Deal.id, Deal.mode, Deal.contract_date, Deal.title, Deal.amount,
                        Organisation.name.label("partner")).join(Organisation, Organisation.id == Deal.buyer_id)
                 .where(*equity))]
    received = (Deal.seller_id == organisation_id, Deal.status.in_(BINDING),
                # an entrustment's fee is the owner's cost, never its income
                Deal.mode.not_in((DealMode.EQUITY, DealMode.ENTRUSTED)),
                DealPayment.status == PaymentStatus.CONFIRMED, DealPayment.paid_on >= start,
                DealPayment.paid_on <= end)
    found += [Income("deal_payment", row.id, _income_kind(row.mode), row.paid_on,
                     _("%(deal)s 收款", deal=row.title or _("交易 #%(id)s", id=row.deal_id)), row.partner, row.amount,
                     [], deal_id=row.deal_id)
              for row in db.session.execute(
                  select(DealPayment.id, DealPayment.deal_id, DealPayment.paid_on, DealPayment.amount, Deal.mode,
                         Deal.title, Organisation.name.label("partner"))
                  .join(Deal, Deal.id == DealPayment.deal_id).join(Organisation, Organisation.id == Deal.buyer_id)
                  .where(*received))]
    if found:
        patents: dict[int, list[int]] = defaultdict(list)
        for deal_id, patent_id in db.session.execute(
                select(DealPatent.deal_id, DealPatent.patent_id).where(DealPatent.deal_id.in_(
                    {income.deal_id for income in found})).order_by(DealPatent.deal_id, DealPatent.patent_id)):
            patents[deal_id].append(patent_id)
        for income in found:
            income.patent_ids = list(patents[income.deal_id or 0])
    return found


def _income_kind(mode: DealMode) -> str:
    """The kind of income a sale brings under art. 45: an auction is a transfer to the winning bidder."""
    return "transfer" if mode == DealMode.AUCTION else mode.value


def _deducted_by_payment(deal_ids: set[int | None], costs: Mapping[tuple[str, int], Decimal]) -> dict[int, Decimal]:
    """Each confirmed payment of these transfers and licenses with the part of its deal's costs it bears
    (``legal.rewards.deduct_in_order``): every payment the deal ever received counts, whatever the year asked."""
    received: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for payment_id, deal_id, amount in db.session.execute(
            select(DealPayment.id, DealPayment.deal_id, DealPayment.amount)
            .where(DealPayment.deal_id.in_(deal_ids), DealPayment.status == PaymentStatus.CONFIRMED)
            .order_by(DealPayment.paid_on, DealPayment.id)):
        received[deal_id].append((payment_id, amount))
    return {payment_id: deducted for deal_id, payments in received.items()
            for payment_id, deducted in rules.deduct_in_order(payments, costs.get(("deal", deal_id),
                                                                                    Decimal("0.00"))).items()}


def _payment_incomes(organisation_id: int, start: date, end: date) -> list[Income]:
    rows = db.session.execute(
        select(LicensePayment.id, LicensePayment.paid_on, LicensePayment.amount, LicenseGrant.id.label("grant_id"),
               LicenseGrant.patent_id, Organisation.name.label("partner"))
        .join(LicenseGrant, LicenseGrant.id == LicensePayment.license_id)
        .join(Organisation, Organisation.id == LicenseGrant.licensee_id)
        .where(LicenseGrant.licensor_id == organisation_id, LicensePayment.status == PaymentStatus.CONFIRMED,
               LicensePayment.paid_on >= start, LicensePayment.paid_on <= end))
    return [Income("license_payment", row.id, "license", row.paid_on, _("开放许可 #%(id)s 付款", id=row.grant_id),
                   row.partner, row.amount, [row.patent_id]) for row in rows]


def _weights(patent_ids: list[int],
             shares: Mapping[int, list[tuple[int, Decimal]]]) -> list[tuple[int | None, Decimal]]:
    """Each patent an equal part, split by its inventors' shares; parts of patents without inventors: ``None``."""
    weights: dict[int | None, Decimal] = defaultdict(Decimal)
    for patent_id in patent_ids:
        for inventor_id, share in shares.get(patent_id) or []:
            weights[inventor_id] += share
        if not shares.get(patent_id):
            weights[None] += rules.HUNDRED
    return sorted(weights.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))


def incomes(organisation_id: int, start: date, end: date) -> list[Income]:
    """The incomes dated in ``[start, end]`` with their costs, percentages and rewards per inventor."""
    policy = policy_of(organisation_id)
    found = sorted(_deal_incomes(organisation_id, start, end) + _payment_incomes(organisation_id, start, end),
                   key=lambda i: (i.day, i.source, i.item_id))
    if not found:
        return []
    costs: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for source, item_id, amount in db.session.execute(select(IncomeCost.source, IncomeCost.item_id, IncomeCost.amount)
                                                      .where(IncomeCost.organisation_id == organisation_id)):
        costs[(source, item_id)] += amount
    paid = {(source, item_id): paid_on for source, item_id, paid_on in db.session.execute(
        select(RewardPayment.source, RewardPayment.item_id, RewardPayment.paid_on)
        .where(RewardPayment.organisation_id == organisation_id))}
    deducted = _deducted_by_payment({i.deal_id for i in found if i.source == "deal_payment"}, costs)
    patent_ids = {p for income in found for p in income.patent_ids}
    shares: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for patent_id, inventor_id, share in db.session.execute(select(
            InventorShare.patent_id, InventorShare.inventor_id, InventorShare.share).where(
            InventorShare.patent_id.in_(patent_ids))):
        shares[patent_id].append((inventor_id, share))
    for income in found:
        income.percent = policy.percent(income.kind)
        income.paid_on = paid.get((income.source, income.item_id))
        if income.source == "deal_payment":
            income.costs = deducted[income.item_id]
            # rewards paid once on a whole transfer or license (before rewards followed payments) cover the
            # payments received by the day they were paid
            whole = paid.get(("deal", income.deal_id or 0))
            if income.paid_on is None and whole is not None and income.day <= whole:
                income.paid_on = whole
        else:
            income.costs = costs.get((income.source, income.item_id), Decimal("0.00"))
        income.reward = rules.reward_due(income.kind, income.amount, income.costs, income.percent)
        income.parts = rules.allocate(income.reward, _weights(income.patent_ids, shares))
    return found


def check_year(year: int) -> int:
    if not 1985 <= year <= 2200:
        raise ValidationFailed.field("year", _("应在 %(low)d–%(high)d 之间", low=1985, high=2200))
    return year


@dataclass
class Overview:
    organisation: Organisation
    policy: Policy
    year: int
    start: date
    end: date
    incomes: list[Income]
    inventors: dict[int, Inventor]
    awaiting: int = 0  # payments the other party reported in the period, not yet confirmed: not income yet

    @property
    def reward_total(self) -> Decimal:
        return sum((i.reward for i in self.incomes), Decimal("0.00"))

    def per_inventor(self) -> list[tuple[Inventor | None, Decimal]]:
        totals: dict[int | None, Decimal] = defaultdict(Decimal)
        for income in self.incomes:
            for key, amount in income.parts.items():
                totals[key] += amount
        return [(self.inventors.get(k) if k is not None else None, v)
                for k, v in sorted(totals.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))]


def overview(user: User, year: int) -> Overview:
    """The institution's incomes of its reporting year ``year`` with the rewards due per inventor."""
    organisation = office_of(user)
    policy = policy_of(organisation.id)
    start, end = policy.year_range(check_year(year))
    found = incomes(organisation.id, start, end)
    inventors = {i.id: i for i in db.session.scalars(select(Inventor).where(
        Inventor.organisation_id == organisation.id))}
    return Overview(organisation, policy, year, start, end, found, inventors,
                    awaiting_confirmation(organisation.id, start, end))


def awaiting_confirmation(organisation_id: int, start: date, end: date) -> int:
    """Payments to the institution dated in ``[start, end]`` that it has not confirmed yet (deal prices and
    open-license fees): they become income, and rewards, once it confirms them."""
    deals_ = db.session.scalar(select(func.count()).select_from(DealPayment).join(Deal).where(
        Deal.seller_id == organisation_id, DealPayment.status == PaymentStatus.REPORTED,
        DealPayment.paid_on >= start, DealPayment.paid_on <= end))
    licenses = db.session.scalar(select(func.count()).select_from(LicensePayment).join(
        LicenseGrant, LicenseGrant.id == LicensePayment.license_id).where(
        LicenseGrant.licensor_id == organisation_id, LicensePayment.status == PaymentStatus.REPORTED,
        LicensePayment.paid_on >= start, LicensePayment.paid_on <= end))
    return int(deals_ or 0) + int(licenses or 0)


def _all_incomes(organisation_id: int) -> list[Income]:
    return incomes(organisation_id, date(1985, 1, 1), date(2200, 12, 31))


def _wanted(source: Any, item_id: Any) -> int:
    if source not in SOURCES:
        raise ValidationFailed.field("source", _("可选：%(values)s", values=", ".join(SOURCES)))
    try:
        return int(item_id)
    except (TypeError, ValueError):
        raise ValidationFailed.field("item_id", _("应为整数")) from None


def _income(found: list[Income], source: Any, item_id: Any) -> Income:
    wanted = _wanted(source, item_id)
    income = next((i for i in found if i.source == source and i.item_id == wanted), None)
    if income is None:
        raise ValidationFailed.field("item_id", _("本机构没有这笔已确认收入"))
    return income


def _cost_owner(organisation_id: int, found: list[Income], source: Any, item_id: Any) -> tuple[str, int]:
    """Where a cost is recorded: a transfer's or license's costs on the deal (named by the deal, even before
    anything was received, or by one of its confirmed payments), deducted from its payments in the order
    received; an equity deal's or open-license payment's on that income."""
    wanted = _wanted(source, item_id)
    if source == "deal":
        mode = db.session.scalar(select(Deal.mode).where(Deal.id == wanted, Deal.seller_id == organisation_id,
                                                         Deal.status.in_(BINDING)))
        if mode is not None and mode not in (DealMode.EQUITY, DealMode.ENTRUSTED):
            return "deal", wanted
    income = _income(found, source, wanted)
    if income.source == "deal_payment":
        return "deal", income.deal_id or 0
    return income.source, income.item_id


def _lowers_a_paid_income(organisation_id: int, found: list[Income], source: str, item_id: int,
                          amount: Decimal) -> bool:
    """Whether a further cost of ``amount`` would change the deduction of an income whose rewards are paid (they
    are frozen): the income itself, or for a deal, any of its payments that would bear part of it."""
    if source != "deal" or not any(i.source == "deal_payment" and i.deal_id == item_id for i in found):
        return any(i.key == f"{source}:{item_id}" and i.paid_on is not None for i in found)
    payments = sorted((i for i in found if i.source == "deal_payment" and i.deal_id == item_id),
                      key=lambda i: (i.day, i.item_id))
    recorded = db.session.scalar(select(func.coalesce(func.sum(IncomeCost.amount), 0)).where(
        IncomeCost.organisation_id == organisation_id, IncomeCost.source == "deal", IncomeCost.item_id == item_id))
    after = rules.deduct_in_order([(i.item_id, i.amount) for i in payments], Decimal(recorded or 0) + amount)
    return any(i.paid_on is not None and after[i.item_id] != i.costs for i in payments)


def add_cost(user: User, raw: Mapping[str, Any]) -> IncomeCost:
    """Record a deductible cost (``source``, ``item_id``, see ``_cost_owner``): it lowers the net income of a
    transfer or license (an equity reward is on the shares, costs do not change it). Refused when it would lower
    an income whose rewards are already paid."""
    organisation = manager_of(user)
    found = _all_incomes(organisation.id)
    source, item_id = _cost_owner(organisation.id, found, raw.get("source"), raw.get("item_id"))
    amount = parse_money(raw.get("amount"), "amount", allow_zero=False)
    description = str(raw.get("description") or "").strip()
    if not description or len(description) > 200:
        raise ValidationFailed.field("description", _("须说明成本项目（≤200字）"))
    if _lowers_a_paid_income(organisation.id, found, source, item_id, amount):
        raise Conflict(_("这笔收入的奖酬已发放，不能再登记成本"), {"item_id": "rewards paid"})
    cost = IncomeCost(organisation_id=organisation.id, source=source, item_id=item_id, amount=amount,
                      description=require_plain(description, "description"), created_by_id=user.id)
    db.session.add(cost)
    db.session.flush()
    record_audit("rewards.cost_added", source, item_id, {"amount": amount, "description": description}, actor=user)
    return cost


def costs_of(organisation_id: int) -> list[IncomeCost]:
    return list(db.session.scalars(select(IncomeCost).where(IncomeCost.organisation_id == organisation_id)
                                   .order_by(IncomeCost.id)))


def mark_paid(user: User, raw: Mapping[str, Any]) -> list[RewardPayment]:
    """The finance office paid the rewards of one income on ``paid_on``: each inventor's part is stored as paid.
    Refused while a patent of it has no inventors (the unassigned part would be lost) and when already paid."""
    organisation = manager_of(user)
    income = _income(_all_incomes(organisation.id), raw.get("source"), raw.get("item_id"))
    paid_on = parse_date(raw.get("paid_on"), "paid_on")
    if paid_on is None:
        raise ValidationFailed.field("paid_on", _("必填"))
    if income.paid_on is not None:
        raise Conflict(_("这笔收入的奖酬已于 %(date)s 发放", date=income.paid_on.isoformat()), {"item_id": "paid"})
    if None in income.parts:
        raise Conflict(_("有专利尚未登记发明人份额，先登记再发放"), {"inventors": "missing"})
    payments = [RewardPayment(organisation_id=organisation.id, source=income.source, item_id=income.item_id,
                              inventor_id=inventor_id, amount=amount, paid_on=paid_on, created_by_id=user.id)
                for inventor_id, amount in income.parts.items() if inventor_id is not None]
    db.session.add_all(payments)
    db.session.flush()
    record_audit("rewards.paid", income.source, income.item_id,
                 {"paid_on": paid_on, "reward": income.reward,
                  "parts": {str(k): str(v) for k, v in income.parts.items()}},
                 actor=user)
    return payments


def paid_in(organisation_id: int, start: date, end: date) -> tuple[int, Decimal]:
    """Rewards paid in ``[start, end]``: the number of inventors paid and the total."""
    rows = list(db.session.scalars(select(RewardPayment).where(
        RewardPayment.organisation_id == organisation_id, RewardPayment.paid_on >= start,
        RewardPayment.paid_on <= end)))
    return len({r.inventor_id for r in rows}), sum((r.amount for r in rows), Decimal("0.00"))


# --- statements and the finance export ------------------------------------------------------------------------

@dataclass
class StatementLine:
    income: Income
    share: Decimal  # the inventor's part of this income's reward


@dataclass
class InventorStatement:
    inventor: Inventor
    year: int
    start: date
    end: date
    lines: list[StatementLine]

    @property
    def total(self) -> Decimal:
        return sum((l.share for l in self.lines), Decimal("0.00"))

    @property
    def paid(self) -> Decimal:
        return sum((l.share for l in self.lines if l.income.paid_on is not None), Decimal("0.00"))


def statement(user: User, inventor_id: int, year: int) -> InventorStatement:
    """One inventor's rewards in the institution's reporting year ``year``, income by income."""
    inventor = get_inventor(user, inventor_id)
    found = overview(user, year)
    lines = [StatementLine(income, income.parts[inventor.id]) for income in found.incomes
             if inventor.id in income.parts]
    return InventorStatement(inventor, year, found.start, found.end, lines)


def kind_label(kind: str) -> str:
    return {"transfer": _("转让"), "license": _("许可"), "equity": _("作价入股")}[kind]


def finance_rows(found: Overview) -> tuple[list[str], list[list[Any]]]:
    """One row per income and inventor, for the finance office: amounts typed, text made formula-safe by
    ``core.spreadsheets``."""
    headers = [_("日期"), _("收入"), _("方式"), _("对方"), _("收入金额（元）"), _("可扣除成本（元）"), _("计奖基数（元）"),
               _("奖酬比例（百分比）"), _("奖酬总额（元）"), _("发明人"), _("工号"), _("应得奖酬（元）"), _("发放日期")]
    rows: list[list[Any]] = []
    kinds = {kind: kind_label(kind) for kind in rules.KINDS}
    unassigned = _("未登记发明人")
    for income in found.incomes:
        head = [income.day, income.title, kinds[income.kind], income.partner, income.amount, income.costs,
                income.base, income.percent, income.reward]
        for key, amount in income.parts.items():
            inventor = found.inventors.get(key) if key is not None else None
            rows.append([*head, inventor.name if inventor else unassigned, inventor.staff_number if inventor else "",
                         amount, income.paid_on])
    rows.append([_("合计"), "", "", "", "", "", "", "", found.reward_total, "", "", found.reward_total, ""])
    return headers, rows
