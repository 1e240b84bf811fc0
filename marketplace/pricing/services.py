"""Pricing help from comparable concluded deals, and the income-approach estimate (issue 14, item 4).

A university pricing a listing or an open-license declaration, or an agency
preparing a deal, asks what comparable deals paid: concluded deals of the same
mode (binding transfers, licenses and equity deals; open licenses that took
effect, for their lump sum) whose patents share the segment or IPC main group
and the patent type — the *close* comparables. When fewer than
``MIN_COMPARABLES`` are close, the nearest neighbours (sharing only a segment,
an IPC group or subclass) are used instead, and the page says so. Below
``MIN_COMPARABLES`` in all no range is given: the answer says how many were
found, never a figure made up from fewer.

Figures are per patent (a deal of several patents counts its amount shared
equally), as ``Decimal`` to the cent. Free deals are no price and never count.
Each comparable is listed with its traits, its amount and its parties only
when the viewer may see that deal (a party, its agency, a platform admin) —
otherwise the parties are named by their kind only (某高校, 某企业) and the
amount is withheld.

Privacy of the range (k-anonymity): a range is given only over at least
``MIN_COMPARABLES`` deals with at least ``MIN_ACQUIRERS`` distinct acquirers
(buyers, licensees), so it never describes what one company paid. With five
deals the quartiles and the median of interpolated percentiles *are* single
deals' prices, so the figures shown are never the computed ones: the
25th–75th percentile range is rounded outward to two significant figures and
moved one two-figure step further out while a bound equals any comparable's
amount (per patent or whole deal); the median is shown only over at least
``MEDIAN_MIN`` deals, to two significant figures, and withheld when that
figure is a comparable's amount. No shown figure is ever one deal's price.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.accounts.permissions import get_visible, may_see
from marketplace.core.errors import ValidationFailed
from marketplace.core.money import parse_money
from marketplace.deals.models import Deal, DealPatent
from marketplace.deals.terms import parse_member
from marketplace.extensions import db
from marketplace.openlicense.terms import parse_rate
from marketplace.patents.models import Patent
from marketplace.patents.vocab import Maturity, PatentType, TransformationMode
from marketplace.pricing import points, stats

MIN_COMPARABLES = 5
MIN_ACQUIRERS = 5  # distinct buyers/licensees among the comparables a range is computed over
MEDIAN_MIN = 10  # below this many comparables the median is not shown, only the outward-rounded range
SHOWN = 10  # comparables listed, most recent first
STATS_LIMIT = 50  # the nearest comparables the range is computed over
CANDIDATES = 500  # most recent price points (deal or license and patent) read per request
MAX_YEARS = 30
DEFAULT_DISCOUNT = Decimal("10.00")


@dataclass(frozen=True)
class Comparable:
    """One concluded deal as pricing help shows it; ``amount`` is per patent and shown only when ``visible``."""

    mode: TransformationMode
    concluded_on: date
    patent_type: PatentType
    segments: tuple[str, ...]
    ipc_group: str | None
    maturity: Maturity | None
    shared: tuple[str, ...]
    score: int
    amount: Decimal
    visible: bool
    seller_id: int
    buyer_id: int
    deal_id: int | None = None
    license_id: int | None = None
    total: Decimal | None = None  # the whole deal's amount (several patents): never shown as a range bound either
    seller: str = ""  # named (or anonymised) only for the comparables shown
    buyer: str = ""

    @property
    def shown_amount(self) -> Decimal | None:
        return self.amount if self.visible else None

    @property
    def month(self) -> str:
        return self.concluded_on.isoformat()[:7]


@dataclass(frozen=True)
class PriceHelp:
    """The comparables of one patent in one mode and, over at least ``MIN_COMPARABLES`` of them, the range."""

    patent: Patent
    mode: TransformationMode
    basis: str  # close | neighbours | none
    used: list[Comparable]
    close_count: int
    shown: list[Comparable]  # the ``SHOWN`` most recent of ``used``, with their parties named or anonymised
    low: Decimal | None = None  # 25th percentile, rounded down to 2 significant figures, never a comparable's price
    median: Decimal | None = None  # 2 significant figures, over ``MEDIAN_MIN`` comparables, never a price
    high: Decimal | None = None  # 75th percentile, rounded up likewise

    @property
    def count(self) -> int:
        return len(self.used)

    @property
    def acquirers(self) -> int:
        """Distinct buyers/licensees among the comparables used."""
        return len({c.buyer_id for c in self.used})

    @property
    def enough(self) -> bool:
        return self.count >= MIN_COMPARABLES and self.acquirers >= MIN_ACQUIRERS

    @property
    def minimum(self) -> int:
        return MIN_COMPARABLES

    @property
    def minimum_acquirers(self) -> int:
        return MIN_ACQUIRERS

    @property
    def median_minimum(self) -> int:
        return MEDIAN_MIN


def _may_price(user: User | None, patent: Patent) -> bool:
    """Besides the owners: an agency for a published patent (it prepares deals), a party of a deal of the patent."""
    organisation = user.organisation if user is not None and user.is_authenticated else None
    if organisation is None:
        return False
    if organisation.kind == OrganisationKind.AGENCY and patent.is_published:
        return True
    party = or_(Deal.seller_id == organisation.id, Deal.buyer_id == organisation.id, Deal.agency_id == organisation.id)
    return bool(db.session.scalar(select(func.count()).select_from(Deal).join(DealPatent)
                                  .where(DealPatent.patent_id == patent.id, party)))


def get_priced_patent(user: User | None, patent_id: int) -> Patent:
    """The patent whose price the user may study: its owner and linked co-owners, a platform admin, an agency
    (published patents), a party of a deal of it; 404 for anyone else."""
    return get_visible(user, Patent, patent_id,
                       lambda p: (p.owner_id, *(link.organisation_id for link in p.co_owner_links)),
                       _("专利不存在"), also=lambda p: _may_price(user, p))


def default_mode(patent: Patent) -> TransformationMode:
    """The first mode the patent is offered in, else a license."""
    for raw in patent.modes or []:
        found = TransformationMode.parse(raw)
        if isinstance(found, TransformationMode):
            return found
    return TransformationMode.LICENSE


def parse_mode(raw: Any, patent: Patent) -> TransformationMode:
    if raw in (None, ""):
        return default_mode(patent)
    mode: TransformationMode = parse_member(TransformationMode, raw, "mode")
    return mode


def traits_of(patent: Patent) -> stats.Traits:
    return stats.Traits(patent.patent_type.value, frozenset(patent.segments), patent.ipc_main,
                        patent.maturity.value if patent.maturity else None)


def _party_label(organisation: Organisation, viewer_org: int | None, visible: bool) -> str:
    if visible or organisation.id == viewer_org:
        return organisation.name
    return _("某%(kind)s", kind=organisation.kind.label)


def _most_recent_named(user: User, used: list[Comparable]) -> list[Comparable]:
    """The ``SHOWN`` most recent comparables with their parties' names, or only their kinds where not visible."""
    recent = sorted(used, key=lambda c: c.concluded_on, reverse=True)[:SHOWN]
    ids = {c.seller_id for c in recent} | {c.buyer_id for c in recent}
    organisations = {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
    return [replace(c, seller=_party_label(organisations[c.seller_id], user.organisation_id, c.visible),
                    buyer=_party_label(organisations[c.buyer_id], user.organisation_id, c.visible)) for c in recent]


@dataclass(frozen=True)
class _Ranked:
    """A candidate as compared with the patent, before it is described for a viewer."""

    score: int
    shared: tuple[str, ...]
    candidate: points.Candidate


def _ranked(patent: Patent, mode: TransformationMode) -> list[_Ranked]:
    """Every comparable among the recent candidates, once per deal or license (its best-scoring patent), nearest
    first (score, then most recent)."""
    target = traits_of(patent)
    best: dict[tuple[int | None, int | None], _Ranked] = {}
    for candidate in points.recent(mode, points.keys_of(target), CANDIDATES):
        shared = stats.shared_traits(target, candidate.traits)
        score = stats.similarity(shared)
        key = (candidate.deal_id, candidate.license_id)
        if score and (key not in best or best[key].score < score):
            best[key] = _Ranked(score, shared, candidate)
    return sorted(best.values(), key=lambda r: (-r.score, -r.candidate.concluded_on.toordinal()))


def _comparable(user: User, mode: TransformationMode, ranked: _Ranked) -> Comparable:
    """A comparable as ``user`` may see it (only its own, brokered or, for an admin, any deal's ids)."""
    candidate, other = ranked.candidate, ranked.candidate.traits
    visible = may_see(user, (candidate.seller_id, candidate.buyer_id, candidate.agency_id))
    return Comparable(
        mode=mode, concluded_on=candidate.concluded_on, patent_type=PatentType(other.patent_type),
        segments=tuple(sorted(other.segments)), ipc_group=stats.ipc_group(other.ipc_main),
        maturity=Maturity(other.maturity) if other.maturity else None, shared=ranked.shared, score=ranked.score,
        amount=stats.share_of(candidate.amount, candidate.parts), total=candidate.amount, visible=visible,
        seller_id=candidate.seller_id, buyer_id=candidate.buyer_id,
        deal_id=candidate.deal_id if visible else None, license_id=candidate.license_id if visible else None)


def price_help(user: User, patent: Patent, mode: TransformationMode) -> PriceHelp:
    """The comparables of ``patent`` for ``mode`` and, over at least five of them bought by five distinct
    acquirers, the 25th–75th percentile range per patent (and the median over ten), as privacy allows (module
    docstring). Close comparables when five exist, else the nearest neighbours."""
    found = _ranked(patent, mode)
    close = [r for r in found if stats.is_close(r.shared)]
    chosen, basis = (close, "close") if len(close) >= MIN_COMPARABLES else (found, "neighbours" if found else "none")
    used = [_comparable(user, mode, ranked) for ranked in chosen[:STATS_LIMIT]]
    shown = _most_recent_named(user, used)
    help_ = PriceHelp(patent, mode, basis, used, len(close), shown)
    if not help_.enough:
        return help_
    amounts = [c.amount for c in used]
    prices = {*amounts, *(c.total for c in used if c.total is not None)}
    low, high = stats.private_bounds(stats.percentile(amounts, Decimal("0.25")),
                                     stats.percentile(amounts, Decimal("0.75")), prices)
    median = (stats.private_median(stats.percentile(amounts, Decimal("0.5")), prices)
              if len(used) >= MEDIAN_MIN else None)
    return replace(help_, low=low, median=median, high=high)


@dataclass(frozen=True)
class IncomeEstimate:
    """The income approach's inputs (as the owner edited them) and its result."""

    annual_sales: Decimal
    royalty_rate: Decimal
    share: Decimal
    discount_rate: Decimal
    years: int
    yearly: list[Decimal]
    value: Decimal


def remaining_years(patent: Patent, today: date) -> int:
    """Whole years left of the patent's term (at least 1, at most ``MAX_YEARS``); 1 when the term is unknown."""
    expiry = patent.expiry
    if expiry is None:
        return 1
    return max(1, min(MAX_YEARS, (expiry - today).days // 365))


def _percent(raw: Any, field: str, default: Decimal | None = None) -> Decimal:
    if raw in (None, "") and default is not None:
        return default
    if raw in (None, ""):
        raise ValidationFailed.field(field, _("必填"))
    rate = parse_rate(raw, field)
    if rate > 100:
        raise ValidationFailed.field(field, _("应在 %(low)d–%(high)d 之间", low=0, high=100))
    return rate


def estimate_income(patent: Patent, raw: Mapping[str, Any], today: date) -> IncomeEstimate:
    """Expected annual sales × royalty rate × the patent's share, discounted yearly over the remaining term
    (or the years given). Every input is the owner's to edit; a wrong one is a 422 naming it."""
    sales = parse_money(raw.get("annual_sales"), "annual_sales", allow_zero=False) \
        if raw.get("annual_sales") not in (None, "") else None
    if sales is None:
        raise ValidationFailed.field("annual_sales", _("必填"))
    rate = _percent(raw.get("royalty_rate"), "royalty_rate")
    share = _percent(raw.get("share"), "share", Decimal("100.00"))
    discount = _percent(raw.get("discount_rate"), "discount_rate", DEFAULT_DISCOUNT)
    years_raw = raw.get("years")
    if years_raw in (None, ""):
        years = remaining_years(patent, today)
    else:
        try:
            years = int(str(years_raw).strip())
        except ValueError:
            raise ValidationFailed.field("years", _("应为整数")) from None
        if not 1 <= years <= MAX_YEARS:
            raise ValidationFailed.field("years", _("应在 %(low)d–%(high)d 之间", low=1, high=MAX_YEARS))
    value, yearly = stats.income_value(sales, rate, share, years, discount)
    return IncomeEstimate(sales, rate, share, discount, years, yearly, value)
