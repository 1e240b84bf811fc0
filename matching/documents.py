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
from typing import Any

IN_FORCE_STATUSES = frozenset({"granted", "fee_overdue"})
# Listed in search and matchable (pending ranks lower); the rest never show.
VISIBLE_STATUSES = frozenset({"pending", "granted", "fee_overdue"})
MODES = ("transfer", "license", "open_license", "equity")


@dataclass(frozen=True)
class Analysis:
    """A document's analysed token fields, kept with its row so a rebuild re-sends them instead of analysing again.

    ``by``: the analyzer's fingerprint; ``inputs``: the digest of the text it read (``fields.analysis_inputs``);
    ``packed``: the token text per field (zlib-compressed JSON), decoded where the index body is built. Used
    only while both still match: any change to the text, the synonyms or the analysis code analyses afresh.
    """

    by: str
    inputs: str
    packed: bytes


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
    publication_numbers: list[str] = field(default_factory=list)
    # The text's vector (``semantic.pack``: float16, base64) with the table it came
    # from; computed by the indexing job and stored with the row, so a rebuild reuses it.
    vector: str | None = None
    vector_model: str | None = None
    analysis: Analysis | None = None  # never stored in an index's copy of the document

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
        doc: PatentDoc = _from_json(cls, data)
        return doc


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
    vector: str | None = None
    vector_model: str | None = None
    analysis: Analysis | None = None

    def is_open(self, today: date) -> bool:
        return self.status == "open" and (self.valid_until is None or self.valid_until >= today)

    def to_dict(self) -> dict[str, Any]:
        return _to_json(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NeedDoc:
        doc: NeedDoc = _from_json(cls, data)
        return doc


_DATE_FIELDS = {"application_date", "valid_until"}
_DECIMAL_FIELDS = {"price_min", "price_max", "budget_min", "budget_max"}


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    # The fields stored as JSON (a cached analysis is not). dataclasses.fields() builds a new tuple per call: too
    # slow per document.
    return tuple(f.name for f in fields(cls) if f.name != "analysis")


@cache
def _field_set(cls: type) -> frozenset[str]:
    return frozenset(_field_names(cls))


def _to_json(doc: PatentDoc | NeedDoc) -> dict[str, Any]:
    # Shallow on purpose: fields are scalars or lists of str (asdict deep-copies, 5x slower).
    out: dict[str, Any] = {}
    for name in _field_names(type(doc)):  # type: ignore[arg-type]  # dataclass types are hashable
        value = getattr(doc, name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, (list, tuple)):
            value = list(value)
        out[name] = value
    return out


def _from_json(cls: type, data: dict[str, Any]) -> Any:
    known = _field_set(cls)
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
