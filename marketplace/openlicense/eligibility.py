"""What a patent may still do: be declared for open license, be pledged, be licensed or assigned.

The rules of Patent Law arts. 50–52, Implementing Rules arts. 85–88 and the
pledge-registration measures (DOMAIN.md §4–5) as pure functions over plain
facts. The declaration builder, the API, the pledge and deal services and the
re-check that runs whenever a patent's status, pledges or licenses change all
ask the same functions, and each rule is unit-tested without a database.
Every refusal is named, so a user is told *all* the reasons at once.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from marketplace.core.errors import Conflict
from marketplace.patents.vocab import LegalStatus, PatentType

TERM_YEARS = {PatentType.INVENTION: 20, PatentType.UTILITY_MODEL: 10, PatentType.DESIGN: 15}
LAPSED = (LegalStatus.TERMINATED, LegalStatus.EXPIRED, LegalStatus.INVALIDATED)

REASONS: dict[str, str] = {
    "not_granted": "专利尚未授权 / the patent is not granted",
    "lapsed": "专利权已终止、届满或被宣告无效 / the patent has terminated, expired or been invalidated",
    "fees_unpaid": "年费未缴纳 / annual fees are unpaid",
    "suspended": "有关程序已中止（权属纠纷或财产保全）/ proceedings are suspended (ownership dispute or preservation)",
    "exclusive_license": "存在有效的独占或排他许可 / an exclusive or sole license is in force",
    "pledged_without_consent": "专利已质押，且无质权人同意开放许可的书面意见 / "
                               "pledged without the pledgee's written consent",
    "no_positive_evaluation": "实用新型或外观设计未提交肯定性的专利权评价报告 / "
                              "utility model or design without a positive evaluation report",
    "co_owners_not_consenting": "共有人未全部同意 / not all co-owners consent",
    "not_patentee": "出质人不是专利权人 / the pledgor is not the patentee",
    "seller_not_patentee": "转让方或许可方不是专利权人 / the seller is not the patentee",
    "already_pledged": "专利权已经质押 / the patent is already pledged",
    "term_past_expiry": "债务履行期限超过专利权有效期 / the debt's term runs past the patent's expiry",
    "expiry_unknown": "缺少申请日，无法确定专利权期限 / application date missing, the expiry is unknown",
    "open_license_without_consent": "专利已声明开放许可，需质权人关于开放许可继续有效的书面声明 / "
                                    "the patent is declared for open license: the pledgee must state in "
                                    "writing that the open license continues",
    "open_license_declared": "专利已声明开放许可，不得授予独占或排他许可 / an open license is declared: "
                             "no exclusive or sole license may be granted",
    "withdraw_open_license_first": "转让前须先撤回开放许可声明 / withdraw the open license before assigning",
    "pledged": "专利权已质押，转让须先解除质押 / the patent is pledged: release the pledge before assigning",
}


@dataclass(frozen=True)
class Refusal:
    """One reason a patent may not do something; ``detail`` names e.g. the missing co-owners."""

    code: str
    detail: str = ""

    @property
    def message(self) -> str:
        base = REASONS[self.code]
        return f"{base}：{self.detail}" if self.detail else base


@dataclass(frozen=True)
class PatentFacts:
    """What the rules need to know about one patent, read from the patent, its pledges and licenses."""

    patent_type: str
    legal_status: str
    application_date: date | None = None
    proceedings_suspended: bool = False
    evaluation_report: str | None = None
    co_owners: tuple[str, ...] = ()
    exclusive_license_in_force: bool = False
    active_pledges: int = 0
    pledges_without_consent: int = 0
    open_license_declared: bool = False


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def patent_expiry(patent_type: str, application_date: date | None) -> date | None:
    """The date the term ends, counted from filing: 20 years invention, 10 utility model, 15 design."""
    if application_date is None:
        return None
    return add_months(application_date, 12 * TERM_YEARS[PatentType(patent_type)])


def missing_consents(co_owners: Iterable[str], consents: Iterable[str]) -> list[str]:
    """Co-owners whose written consent is not on record (names compared without surrounding spaces)."""
    given = {name.strip() for name in consents}
    return [name for name in co_owners if name.strip() and name.strip() not in given]


def _standing_refusals(facts: PatentFacts, today: date) -> list[Refusal]:
    """Status rules shared by open license and pledge: granted, in force, fees paid, not suspended."""
    refusals: list[Refusal] = []
    status = LegalStatus(facts.legal_status)
    expiry = patent_expiry(facts.patent_type, facts.application_date)
    if status == LegalStatus.PENDING:
        refusals.append(Refusal("not_granted"))
    if status in LAPSED or (expiry is not None and expiry <= today):
        refusals.append(Refusal("lapsed"))
    if status == LegalStatus.FEE_OVERDUE:
        refusals.append(Refusal("fees_unpaid"))
    if facts.proceedings_suspended:
        refusals.append(Refusal("suspended"))
    return refusals


def _co_owner_refusal(co_owners: Iterable[str], consents: Iterable[str]) -> list[Refusal]:
    missing = missing_consents(co_owners, consents)
    return [Refusal("co_owners_not_consenting", "、".join(missing))] if missing else []


def open_license_refusals(facts: PatentFacts, co_owner_consents: Iterable[str], today: date) -> list[Refusal]:
    """Every reason the patent may not be (or stay) declared for open license; empty means eligible."""
    refusals = _standing_refusals(facts, today)
    if facts.exclusive_license_in_force:
        refusals.append(Refusal("exclusive_license"))
    if facts.pledges_without_consent:
        refusals.append(Refusal("pledged_without_consent"))
    if PatentType(facts.patent_type) in (PatentType.UTILITY_MODEL, PatentType.DESIGN) \
            and facts.evaluation_report != "positive":
        refusals.append(Refusal("no_positive_evaluation"))
    return refusals + _co_owner_refusal(facts.co_owners, co_owner_consents)


def pledge_refusals(facts: PatentFacts, *, pledgor_is_patentee: bool, term_end: date,
                    co_owner_consents: Iterable[str], open_license_consent: bool, today: date) -> list[Refusal]:
    """Every reason the registration of a pledge of this patent must be refused (DOMAIN.md §5)."""
    refusals = [] if pledgor_is_patentee else [Refusal("not_patentee")]
    refusals += _standing_refusals(facts, today)
    if facts.active_pledges:
        refusals.append(Refusal("already_pledged"))
    expiry = patent_expiry(facts.patent_type, facts.application_date)
    if expiry is None:
        refusals.append(Refusal("expiry_unknown"))
    elif term_end > expiry:
        refusals.append(Refusal("term_past_expiry", expiry.isoformat()))
    if facts.open_license_declared and not open_license_consent:
        refusals.append(Refusal("open_license_without_consent"))
    return refusals + _co_owner_refusal(facts.co_owners, co_owner_consents)


def license_refusals(license_kind: str, facts: PatentFacts) -> list[Refusal]:
    """While an open license is declared the patentee may grant ordinary licenses only."""
    if license_kind in ("exclusive", "sole") and facts.open_license_declared:
        return [Refusal("open_license_declared")]
    return []


def assignment_refusals(facts: PatentFacts) -> list[Refusal]:
    """An assignment (transfer, equity contribution) needs the open license withdrawn and no pledge."""
    refusals = [Refusal("withdraw_open_license_first")] if facts.open_license_declared else []
    if facts.active_pledges:
        refusals.append(Refusal("pledged"))
    return refusals


class Ineligible(Conflict):
    """A legal rule refuses the operation; ``fields`` maps each reason's code to its message."""

    code = "ineligible"

    def __init__(self, summary: str, refusals: Iterable[tuple[str, Refusal]]) -> None:
        fields: dict[str, str] = {}
        for label, refusal in refusals:
            message = f"{label}：{refusal.message}" if label else refusal.message
            fields[refusal.code] = f"{fields[refusal.code]}; {message}" if refusal.code in fields else message
        super().__init__(f"{summary}：{'; '.join(fields.values())}", fields)
