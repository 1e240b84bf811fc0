"""The demo university imports a sample announcement list (``data/cnipa/open-license-announcements.csv``): one of
its patents gains a CNIPA-announced declaration, one declared here is reported as a conflict, another institution's
patent is skipped, a patent not on the platform is listed, and a wrong check digit is reported."""
from __future__ import annotations

from pathlib import Path

from marketplace.accounts.models import User
from marketplace.cnipa import services

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "cnipa" / "open-license-announcements.csv"


def seed_cnipa_story(users: dict[str, User]) -> dict[str, int]:
    with SAMPLE.open("rb") as handle:
        batch = services.import_announcements(users["univ1"], SAMPLE.name, handle)
    return {"cnipa_rows": batch.total_rows, "cnipa_declarations": batch.created_count}
