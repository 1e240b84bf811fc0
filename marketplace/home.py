"""The home page: what the platform holds right now."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from marketplace.accounts.models import Organisation, OrganisationKind
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.needs.services import listed_clause
from marketplace.patents.models import Patent
from marketplace.patents.vocab import PublicationState

bp = Blueprint("home", __name__)


def live_counts() -> dict[str, int]:
    """Counts shown on the home page, each one query."""
    kinds = dict(db.session.execute(select(Organisation.kind, func.count()).group_by(Organisation.kind)).all())
    return {
        "published_patents": db.session.scalar(select(func.count()).select_from(Patent)
                                               .where(Patent.state == PublicationState.PUBLISHED)) or 0,
        "open_needs": db.session.scalar(select(func.count()).select_from(Need).where(listed_clause())) or 0,
        "suppliers": kinds.get(OrganisationKind.UNIVERSITY, 0) + kinds.get(OrganisationKind.INSTITUTE, 0),
        "companies": kinds.get(OrganisationKind.COMPANY, 0),
    }


def latest_patents(limit: int = 6) -> list[Patent]:
    return list(db.session.scalars(select(Patent).where(Patent.state == PublicationState.PUBLISHED)
                                   .order_by(Patent.published_at.desc(), Patent.id.desc()).limit(limit)))


def latest_needs(limit: int = 6) -> list[Need]:
    return list(db.session.scalars(select(Need).where(listed_clause())
                                   .order_by(Need.created_at.desc(), Need.id.desc()).limit(limit)))


@bp.get("/")
def index():
    return render_template("home/index.html", counts=live_counts(), patents=latest_patents(), needs=latest_needs())
