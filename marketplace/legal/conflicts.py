"""Which licenses of one patent exclude each other (Patent Law arts. 12, 50–52; DOMAIN.md §3–4).

An exclusive license excludes every other license and the patentee's own
open-license declaration; a sole license excludes other licensees; a declared
open license excludes exclusive and sole licenses. Licenses whose terms do not
overlap never conflict: only the overlap counts. Licenses obtained through an
open license (``open_grant``) are ordinary licenses of their licensee.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from marketplace.legal.refusals import Refusal

EXCLUSIVE, SOLE, ORDINARY = "exclusive", "sole", "ordinary"
OPEN_DECLARATION, OPEN_GRANT = "open_declaration", "open_grant"
KINDS = (EXCLUSIVE, SOLE, ORDINARY, OPEN_DECLARATION, OPEN_GRANT)


@dataclass(frozen=True)
class LicenseTerm:
    """One license (or declaration) of a patent over its term; ``start``/``end`` None mean unbounded.

    ``licensee_id`` is None for the patentee's declaration; ``label`` names the
    record in a refusal (e.g. ``交易 #12《…》``).
    """

    kind: str
    start: date | None
    end: date | None
    licensee_id: int | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown license kind {self.kind!r}")

    @property
    def span(self) -> str:
        return f"{self.start.isoformat() if self.start else '…'}–{self.end.isoformat() if self.end else '…'}"


def overlap(a: LicenseTerm, b: LicenseTerm) -> bool:
    """Whether two terms share at least one day (a missing bound reaches as far as the patent does)."""
    return (a.start or date.min) <= (b.end or date.max) and (b.start or date.min) <= (a.end or date.max)


def _rule(new: LicenseTerm, old: LicenseTerm) -> str | None:
    """The code of the rule by which ``old`` excludes ``new`` (or ``new`` cannot be granted over ``old``)."""
    same_licensee = new.licensee_id is not None and new.licensee_id == old.licensee_id
    if old.kind == EXCLUSIVE:
        return "exclusive_license_in_force"
    if old.kind == SOLE and not same_licensee:
        return "sole_license_in_force"
    if old.kind == OPEN_DECLARATION and new.kind in (EXCLUSIVE, SOLE):
        return "open_license_declared"
    if new.kind == EXCLUSIVE and old.kind != OPEN_DECLARATION:
        return "licenses_granted"
    if new.kind == SOLE and not same_licensee and old.kind in (ORDINARY, OPEN_GRANT):
        return "licenses_granted"
    return None


def license_conflicts(new: LicenseTerm, existing: Iterable[LicenseTerm]) -> list[Refusal]:
    """Every existing license of the same patent that excludes ``new`` where their terms overlap, each named."""
    refusals: list[Refusal] = []
    for old in existing:
        code = _rule(new, old) if overlap(new, old) else None
        if code is not None:
            refusals.append(Refusal(code, f"{old.label} {old.span}".strip()))
    return refusals
