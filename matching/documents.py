"""The document contract between the app and the search engine.

The app builds these plain dataclasses from its database rows; backends store
them (as JSON-able dicts) and hand them back in results, so rendering a hit
needs no database round trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

IN_FORCE_STATUSES = frozenset({"granted", "fee_overdue"})
# Listed in search and matchable (pending ranks lower); the rest never show.
VISIBLE_STATUSES = frozenset({"pending", "granted", "fee_overdue"})
MODES = ("transfer", "license", "open_license", "equity")


@dataclass
class PatentDoc:
    id: int
    application_number: str
    title: str
    abstract: str = ""
    first_claim: str = ""
    ipc_codes: list[str] = field(default_factory=list)
    ipc_main: str | None = None
    owner_id: int | None = None
    owner_name: str = ""
    patent_type: str = "invention"
    legal_status: str = "granted"
    grade: str | None = None
    tags: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    segment_names: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    maturity: str | None = None
    open_license: bool = False
    published: bool = True
    application_date: date | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None

    @property
    def matchable(self) -> bool:
        """May be offered to companies (pending ones too, ranked lower)."""
        return self.published and self.legal_status in VISIBLE_STATUSES

    @property
    def effective_modes(self) -> set[str]:
        """Declared modes, plus open_license when a declaration is in force."""
        modes = set(self.modes)
        if self.open_license:
            modes.add("open_license")
        return modes

    def to_dict(self) -> dict[str, Any]:
        return _to_json(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PatentDoc:
        return _from_json(cls, data)


@dataclass
class NeedDoc:
    id: int
    org_id: int
    org_name: str
    title: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    segment_names: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    status: str = "open"
    public: bool = True
    valid_until: date | None = None
    # Optional: IPC codes the company picked; when empty the matcher infers the
    # need's technical field from its best text matches.
    ipc_codes: list[str] = field(default_factory=list)

    def is_open(self, today: date) -> bool:
        return self.status == "open" and (self.valid_until is None or self.valid_until >= today)

    def to_dict(self) -> dict[str, Any]:
        return _to_json(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NeedDoc:
        return _from_json(cls, data)


_Doc = TypeVar("_Doc", "PatentDoc", "NeedDoc")
_DATE_FIELDS = {"application_date", "valid_until"}
_DECIMAL_FIELDS = {"price_min", "price_max", "budget_min", "budget_max"}


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    # dataclasses.fields() builds a new tuple per call: too slow per document.
    return tuple(f.name for f in fields(cls))


@cache
def _field_set(cls: type) -> frozenset[str]:
    return frozenset(_field_names(cls))


def _to_json(doc: PatentDoc | NeedDoc) -> dict[str, Any]:
    # Shallow on purpose: fields are scalars or lists of str (asdict deep-copies, 5x slower).
    out: dict[str, Any] = {}
    doc_class: type = type(doc)
    for name in _field_names(doc_class):
        value = getattr(doc, name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, (list, tuple)):
            value = list(value)
        out[name] = value
    return out


def _from_json(cls: type[_Doc], data: dict[str, Any]) -> _Doc:
    doc_class: type = cls
    known = _field_set(doc_class)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            continue
        if value is not None and key in _DATE_FIELDS and isinstance(value, str):
            value = date.fromisoformat(value)
        elif value is not None and key in _DECIMAL_FIELDS:
            value = Decimal(str(value))
        kwargs[key] = value
    return cls(**kwargs)
