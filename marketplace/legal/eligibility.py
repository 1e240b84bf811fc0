"""What a patent may still do: be declared for open license, be pledged, be licensed or assigned.

The rules of Patent Law arts. 14 and 50–52, Implementing Rules arts. 85–88 and
the pledge-registration measures (DOMAIN.md §3–5) as functions over plain
facts. Every refusal is named, so a user is told *all* the reasons at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marketplace.legal.refusals import Refusal
from marketplace.legal.term import DESIGN, UTILITY_MODEL, has_lapsed, patent_expiry


@dataclass(frozen=True)
class CoOwner:
    """A co-owner as the patent records it, and the platform organisation that consents for it (None: no account)."""

    name: str
    organisation_id: int | None = None


@dataclass(frozen=True)
class PatentFacts:
    """What the rules need to know about one patent, read from the patent, its pledges and licenses."""

    patent_type: str
    legal_status: str
    application_date: date | None = None
    legal_status_on: date | None = None
    proceedings_suspended: bool = False
    evaluation_report: str | None = None
    co_owners: tuple[CoOwner, ...] = ()
    exclusive_license_in_force: bool = False
    active_pledges: int = 0
    pledges_without_consent: int = 0
    open_license_declared: bool = False

    @property
    def expiry(self) -> date | None:
        return patent_expiry(self.patent_type, self.application_date)


def standing_refusals(facts: PatentFacts, today: date) -> list[Refusal]:
    """Status rules shared by open license and pledge: granted, in force, fees paid, not suspended."""
    refusals: list[Refusal] = []
    if facts.legal_status == "pending":
        refusals.append(Refusal("not_granted"))
    if has_lapsed(facts.legal_status, facts.expiry, today):
        refusals.append(Refusal("lapsed"))
    if facts.legal_status == "fee_overdue":
        refusals.append(Refusal("fees_unpaid"))
    if facts.proceedings_suspended:
        refusals.append(Refusal("suspended"))
    return refusals


def co_owner_refusals(facts: PatentFacts) -> list[Refusal]:
    """Every co-owner consents through its own account: one without an organisation on the platform blocks the act."""
    missing = [owner.name for owner in facts.co_owners if owner.organisation_id is None]
    return [Refusal("co_owner_not_on_platform", "、".join(missing))] if missing else []


def open_license_refusals(facts: PatentFacts, today: date) -> list[Refusal]:
    """Every reason the patent may not be (or stay) declared for open license; empty means eligible."""
    refusals = standing_refusals(facts, today)
    if facts.exclusive_license_in_force:
        refusals.append(Refusal("exclusive_license"))
    if facts.pledges_without_consent:
        refusals.append(Refusal("pledged_without_consent"))
    if facts.patent_type in (UTILITY_MODEL, DESIGN) and facts.evaluation_report != "positive":
        refusals.append(Refusal("no_positive_evaluation"))
    return refusals + co_owner_refusals(facts)


def pledge_refusals(facts: PatentFacts, *, pledgor_is_patentee: bool, term_end: date, open_license_consent: bool,
                    invalidation_accepted: bool, today: date) -> list[Refusal]:
    """Every reason the registration of a pledge of this patent must be refused (DOMAIN.md §5).

    A pending invalidation request refuses the pledge unless the parties accept
    the risk in writing (``invalidation_accepted``, given with their consents).
    """
    refusals = [] if pledgor_is_patentee else [Refusal("not_patentee")]
    refusals += standing_refusals(facts, today)
    if facts.legal_status == "invalidation_pending" and not invalidation_accepted:
        since = facts.legal_status_on.isoformat() if facts.legal_status_on else ""
        refusals.append(Refusal("invalidation_pending", since))
    if facts.active_pledges:
        refusals.append(Refusal("already_pledged"))
    expiry = facts.expiry
    if expiry is None:
        refusals.append(Refusal("expiry_unknown"))
    elif term_end > expiry:
        refusals.append(Refusal("term_past_expiry", expiry.isoformat()))
    if facts.open_license_declared and not open_license_consent:
        refusals.append(Refusal("open_license_without_consent"))
    return refusals + co_owner_refusals(facts)


def assignment_refusals(facts: PatentFacts) -> list[Refusal]:
    """An assignment (transfer, equity contribution) needs the open license withdrawn, no pledge, every co-owner."""
    refusals = [Refusal("withdraw_open_license_first")] if facts.open_license_declared else []
    if facts.active_pledges:
        refusals.append(Refusal("pledged"))
    return refusals + co_owner_refusals(facts)


def abandonment_refusals(facts: PatentFacts, today: date) -> list[Refusal]:
    """Abandoning a patent needs a right still in force, its open license withdrawn first (Patent Law art. 51,
    Implementing Rules art. 86), no pledge (the pledgee's security would vanish, Civil Code art. 444) and every
    co-owner through its own account."""
    refusals = [Refusal("lapsed")] if has_lapsed(facts.legal_status, facts.expiry, today) else []
    if facts.legal_status == "pending":
        refusals.append(Refusal("not_granted"))
    if facts.open_license_declared:
        refusals.append(Refusal("withdraw_open_license_before_abandoning"))
    if facts.active_pledges:
        refusals.append(Refusal("pledged_cannot_abandon"))
    return refusals + co_owner_refusals(facts)
