"""What an act is about, in the words of a publicity notice: achievement, parties, proposed price, patents.

One describer per kind of object (deal, open-license declaration, patent);
an act on any other kind of object is described by its proposal's summary,
so a newly registered act is reviewed and publicised with configuration only.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from marketplace.core.i18n import gettext as _

from marketplace.approvals.models import Pricing
from marketplace.consents.models import Proposal
from marketplace.core.money import format_cny


@dataclass(frozen=True)
class ActDescription:
    """The facts a review and its notice show; ``patent_ids`` tie rewards and reports to it."""

    achievement: str
    parties: str
    price: Decimal | None = None
    price_note: str = ""
    pricing: Pricing = Pricing.NONE
    patent_ids: list[int] = field(default_factory=list)


Describer = Callable[[Proposal, Any], ActDescription]
_describers: dict[str, Describer] = {}


def register(subject_type: str, describer: Describer) -> None:
    _describers[subject_type] = describer


def describe(proposal: Proposal, subject: Any) -> ActDescription:
    """The facts of ``proposal``'s act (stored in the platform's language, as notices are public record)."""
    with force_locale("zh"):
        describer = _describers.get(proposal.subject_type)
        if describer is None or subject is None:
            owner = proposal.proposer_organisation.name if proposal.proposer_organisation else ""
            return ActDescription(achievement=proposal.summary, parties=owner)
        return describer(proposal, subject)


def _patents(patents: list[Any]) -> str:
    return "；".join(f"{p.application_number}《{p.title}》" for p in patents)


def _deal(proposal: Proposal, deal: Any) -> ActDescription:
    mode = deal.mode.label_zh + (f"（{deal.license_kind.label_zh}）" if getattr(deal, "license_kind", None) else "")
    pricing = Pricing.AUCTION if deal.mode.value == "auction" else Pricing.NEGOTIATED
    return ActDescription(
        achievement=_patents(deal.patents),
        parties=_("%(mode)s：%(seller)s → %(buyer)s", mode=mode, seller=deal.seller.name, buyer=deal.buyer.name),
        price=deal.amount, price_note=_("合同金额 %(amount)s", amount=format_cny(deal.amount)), pricing=pricing,
        patent_ids=list(deal.patent_ids))


def _open_license(proposal: Proposal, declaration: Any) -> ActDescription:
    method = declaration.payment_method
    terms = [method.label_zh]
    if method.has_fixed_fee:
        terms.append(format_cny(declaration.fixed_fee))
    if declaration.royalty_rate is not None:
        terms.append(f"{declaration.royalty_rate}%（{declaration.royalty_base.label_zh if declaration.royalty_base else ''}）")
    terms.append(_("许可期限 %(start)s 至 %(end)s", start=declaration.term_start.isoformat(),
                   end=declaration.term_end.isoformat()))
    return ActDescription(
        achievement=_patents([declaration.patent]),
        parties=_("%(owner)s 开放许可，任何单位或个人均可按声明条件获得许可", owner=declaration.owner.name),
        price=declaration.fixed_fee if method.has_fixed_fee else None, price_note="，".join(terms),
        patent_ids=[declaration.patent_id])


def _patent(proposal: Proposal, patent: Any) -> ActDescription:
    return ActDescription(achievement=_patents([patent]), parties=patent.owner.name, patent_ids=[patent.id])


def register_defaults() -> None:
    """The objects the platform's acts are about today (called from ``create_app``)."""
    register("deal", _deal)
    register("open_license", _open_license)
    register("patent", _patent)
