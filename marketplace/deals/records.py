"""What the legal rules read from deals: exclusive licenses in force and the license terms of binding deals.

Provided to ``openlicense.facts`` through its slots in ``create_app`` (open licenses sit below deals).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from marketplace.deals.models import Deal, DealMode, DealPatent, DealStatus, LicenseKind
from marketplace.extensions import db
from marketplace.legal.conflicts import LicenseTerm

BINDING = (DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED)


def exclusive_license_in_force(patent_id: int, today: date) -> bool:
    """A signed exclusive or sole license whose term has not ended."""
    return bool(db.session.scalar(
        select(func.count()).select_from(Deal).join(DealPatent)
        .where(DealPatent.patent_id == patent_id, Deal.mode == DealMode.LICENSE,
               Deal.license_kind.in_([LicenseKind.EXCLUSIVE, LicenseKind.SOLE]), Deal.status.in_(BINDING),
               or_(Deal.term_end.is_(None), Deal.term_end >= today))))


def license_terms(patent_id: int, excluding_deal: int | None) -> list[LicenseTerm]:
    """The binding license deals of the patent, each labelled to be named in a refusal."""
    deals = db.session.scalars(
        select(Deal).join(DealPatent).where(DealPatent.patent_id == patent_id, Deal.mode == DealMode.LICENSE,
                                            Deal.status.in_(BINDING), Deal.id != (excluding_deal or 0)))
    return [LicenseTerm(deal.license_kind.value, deal.term_start or deal.contract_date, deal.term_end,
                        deal.buyer_id, _("交易 #%(id)s《%(title)s》", id=deal.id, title=deal.title or ""))
            for deal in deals]
