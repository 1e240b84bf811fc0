"""Which spreadsheet column means what, and how a row's cells become raw patent values.

Exports from incoPat, 智慧芽/PatSnap, CNIPR, 佰腾 and the CNIPA search system
name the same thing differently (申请（专利权）人 / 专利权人 / Applicant …)
and offices add their own columns (分级, 价格（万元）…). Headers are compared
after NFKC folding (full-width brackets and spaces become ASCII) with spaces
and punctuation removed, so ``公开（公告）号`` and ``公开(公告) 号`` are one header.
Validation proper stays in ``patents.services.validate_patent_values``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context
from flask_babel import get_locale

from marketplace.core.errors import ValidationFailed
from marketplace.core.i18n import gettext as _

HEADER_SCAN_ROWS = 10
REQUIRED = ("application_number", "title")

# target → header aliases; the first alias is the one the downloadable template uses.
ALIASES: dict[str, tuple[str, ...]] = {
    "application_number": ("申请号", "专利申请号", "申请号/专利号", "专利号", "application number", "application no",
                           "app no", "appln no"),
    "title": ("名称", "专利名称", "标题", "发明名称", "题名", "title", "patent title"),
    "patent_type": ("专利类型", "类型", "patent type", "type"),
    "application_date": ("申请日", "申请日期", "application date", "filing date"),
    "publication_numbers": ("公开（公告）号", "公开号", "公告号", "授权公告号", "publication number",
                            "publication no", "grant number"),
    "publication_date": ("公开（公告）日", "公开日", "公告日", "公开日期", "publication date"),
    "grant_date": ("授权公告日", "授权日", "授权日期", "grant date"),
    "ipc_main": ("主分类号", "IPC主分类", "IPC主分类号", "主IPC", "main IPC", "IPC main", "primary IPC"),
    "ipc_codes": ("分类号", "IPC", "IPC分类号", "IPC分类", "IPC codes", "classification"),
    "applicants": ("申请（专利权）人", "专利权人", "申请人", "当前专利权人", "当前权利人", "applicant", "applicants",
                   "assignee", "patentee"),
    "co_owners": ("共有人", "共同专利权人", "co-owners"),
    "inventors": ("发明（设计）人", "发明人", "设计人", "inventor", "inventors"),
    "legal_status": ("法律状态", "当前法律状态", "legal status"),
    "abstract": ("摘要", "abstract"),
    "first_claim": ("首项权利要求", "主权项", "独立权利要求", "first claim", "main claim"),
    "grade": ("分级", "等级", "专利分级", "grade"),
    "segments": ("产业领域", "产业细分领域", "行业领域", "industry", "segment", "segments"),
    "modes": ("转化方式", "转让方式", "交易方式", "合作方式", "transfer mode", "modes"),
    "price": ("价格", "报价", "价格区间", "price"),
    "price_min": ("价格下限", "最低价", "price min", "min price"),
    "price_max": ("价格上限", "最高价", "price max", "max price"),
    "maturity": ("成熟度", "技术成熟度", "maturity"),
    "tags": ("标签", "关键词", "tags", "keywords"),
}
# the model fields a target feeds, for naming them in error reports
TARGET_FIELDS: dict[str, tuple[str, ...]] = {"applicants": ("co_owners",), "price": ("price_min", "price_max")}
LIST_TARGETS = {"publication_numbers", "ipc_codes", "applicants", "co_owners", "inventors", "segments", "modes", "tags"}
DATE_TARGETS = {"application_date", "publication_date", "grant_date"}
PRICE_TARGETS = {"price", "price_min", "price_max"}

_PUNCTUATION = re.compile(r"[\s()\[\]【】{}<>《》_\-.,:;'\"*/\\?？#]")
_UNIT = re.compile(r"[(\[/]\s*(万元|万|元|10,?000 cny|rmb|cny|yuan)\s*[)\]]?\s*$", re.IGNORECASE)
_TEN_THOUSAND_UNITS = ("万元", "万", "10,000 cny", "10000 cny")
_WAN = Decimal(10000)
_NUMBER = r"\d+(?:\.\d+)?"
_PRICE = re.compile(rf"^(?P<low>{_NUMBER})(?P<low_unit>万元|万|元)?"
                    rf"(?:(?:-|~|—|–|至|到)(?P<high>{_NUMBER})(?P<high_unit>万元|万|元)?)?$")
_NEGOTIABLE = {"面议", "议价", "协商", "价格面议", "negotiable"}
_PLACEHOLDERS = {"-", "--", "—", "/", "无", "暂无", "n/a", "na", "null", "none"}
_MULTI_SEPARATORS = re.compile(r"[、\r\n]+")


def header_key(text: object) -> str:
    """The comparable form of a header: NFKC-folded, BOM, spaces and punctuation removed, lower-case."""
    folded = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "")
    return _PUNCTUATION.sub("", folded).lower()


def reads_english() -> bool:
    """Whether the visitor reads English (a job or the CLI writes Chinese, the platform's first language)."""
    return has_request_context() and str(get_locale()) == "en"


@dataclass(frozen=True)
class Layout:
    """A spreadsheet layout: which headers feed which target, and the targets a header row must name."""

    aliases: dict[str, tuple[str, ...]]
    required: tuple[str, ...]

    def target_of(self, header: object) -> str | None:
        return self._by_key.get(header_key(header))

    @property
    def _by_key(self) -> dict[str, str]:
        return {header_key(alias): target for target, aliases in self.aliases.items() for alias in aliases}

    def first_alias(self, target: str) -> str:
        """A column's name in the layout's own language (an authority's format keeps its Chinese headers)."""
        return self.aliases[target][0]

    def column_name(self, target: str, english: bool | None = None) -> str:
        """The name a template or a message gives a column: its first Chinese alias, or its first English one
        (by default in the visitor's language)."""
        if english is None:
            english = reads_english()
        aliases = self.aliases[target]
        alias = next((a for a in aliases if a.isascii() and not a.isupper()), None) if english else None
        return alias[0].upper() + alias[1:] if alias else aliases[0]


INVENTORY = Layout(ALIASES, REQUIRED)


def column_name(target: str, english: bool | None = None) -> str:
    """An inventory column's name (``Layout.column_name``)."""
    return INVENTORY.column_name(target, english)


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    target: str
    multiplier: Decimal = Decimal(1)


@dataclass
class ColumnMap:
    """The recognised header row: which cell index feeds which target."""

    header_row: int
    columns: list[Column]
    ignored: list[str] = field(default_factory=list)
    required: tuple[str, ...] = REQUIRED

    @property
    def targets(self) -> set[str]:
        return {column.target for column in self.columns}

    @property
    def missing(self) -> list[str]:
        return [target for target in self.required if target not in self.targets]

    def header_for(self, model_field: str) -> str:
        """The user's header for a model field named in an error (price_min ← 价格（万元）)."""
        for column in self.columns:
            if model_field == column.target or model_field in TARGET_FIELDS.get(column.target, ()):
                return column.header
        return ""

    def describe(self) -> list[dict[str, str]]:
        return [{"header": column.header, "field": column.target} for column in self.columns]

    def raw_values(self, cells: list[Any] | tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, str]]:
        """One row's raw values for ``validate_patent_values`` plus the errors found while reading cells.

        Blank cells are left out, so a re-import never erases what the office
        entered on the platform; ``applicants`` is returned as its own key.
        """
        raw: dict[str, Any] = {}
        lists: dict[str, list[str]] = {}
        errors: dict[str, str] = {}
        for column in self.columns:
            value = cells[column.index] if column.index < len(cells) else None
            target = column.target
            if _blank(value, target):
                continue
            if target in PRICE_TARGETS:
                try:
                    low, high = parse_price(value, column.multiplier,
                                            "price_max" if target == "price_max" else "price_min")
                except ValidationFailed as error:
                    errors.update(error.fields)
                    continue
                if target in ("price", "price_min") and low is not None:
                    raw.setdefault("price_min", low)
                if target in ("price", "price_max") and high is not None:
                    raw.setdefault("price_max", high)
            elif target in LIST_TARGETS:
                lists.setdefault(target, []).append(_MULTI_SEPARATORS.sub(";", cell_text(value)))
            elif target in DATE_TARGETS and isinstance(value, (date, datetime)):
                raw.setdefault(target, value)
            elif target == "patent_type":
                # 发明公开;发明授权: the export lists the publication stages, the first names the type.
                raw.setdefault(target, re.split(r"[;；,，、\n]", cell_text(value))[0])
            else:
                raw.setdefault(target, cell_text(value))
        for target, parts in lists.items():
            raw[target] = ";".join(parts)
        if errors.keys() & {"price_min", "price_max"}:
            raw.pop("price_min", None)
            raw.pop("price_max", None)
        return raw, errors


def cell_text(value: Any) -> str:
    """A cell as text; Excel numbers lose the ``.0`` a stored integer would otherwise show."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    return str(value).strip()


def _blank(value: Any, target: str = "") -> bool:
    """Empty, or a placeholder exports write for "none" (``-``, ``无``; ``0`` for a date not yet known)."""
    if value is None:
        return True
    text = value.strip() if isinstance(value, str) else str(value)
    if len(text) > 8:
        return False
    text = text.lower()
    return not text or text in _PLACEHOLDERS or (target in DATE_TARGETS and text in ("0", "00000000"))


def parse_price(value: Any, multiplier: Decimal, model_field: str = "price_min") -> tuple[str | None, str | None]:
    """``10-20万`` → (100000, 200000); a single number is both ends; 面议 is no price.

    A bare number is in the column's unit (元, or 万元 when the header says
    so); a 万 on the last number of a range applies to both ends. Amounts are
    returned as strings for ``parse_money`` to check places and bounds.
    """
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        amount = _scaled(repr(value) if isinstance(value, float) else str(value), None, multiplier)
        return amount, amount
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = re.sub(r"[\s,¥￥]|人民币|rmb|cny", "", text, flags=re.IGNORECASE)
    if text.lower() in _NEGOTIABLE:
        return None, None
    match = _PRICE.match(text)
    if not match:
        raise ValidationFailed.field(model_field, _("价格无法识别：%(value)s（示例：50万、10-20万、200000）", value=value))
    high_unit = match["high_unit"]
    low = _scaled(match["low"], match["low_unit"] or high_unit, multiplier)
    high = _scaled(match["high"], high_unit, multiplier) if match["high"] else low
    return low, high


def _scaled(number: str, unit: str | None, multiplier: Decimal) -> str:
    factor = _WAN if unit in ("万", "万元") else Decimal(1) if unit == "元" else multiplier
    return format((Decimal(number) * factor).normalize(), "f")


def _column(index: int, header: object, layout: Layout) -> Column | None:
    text = unicodedata.normalize("NFKC", str(header or "")).strip()
    multiplier = Decimal(1)
    unit = _UNIT.search(text)
    base = text[:unit.start()] if unit else text
    target = layout.target_of(base)
    if target is None and unit:
        target = layout.target_of(text)
    if target is None:
        return None
    if unit and target in PRICE_TARGETS and unit.group(1).lower() in _TEN_THOUSAND_UNITS:
        multiplier = _WAN
    return Column(index, str(header).strip().replace("\ufeff", ""), target, multiplier)


def map_header(row_number: int, cells: list[Any] | tuple[Any, ...], layout: Layout = INVENTORY) -> ColumnMap:
    """Recognise the columns of one candidate header row."""
    columns: list[Column] = []
    ignored: list[str] = []
    for index, header in enumerate(cells):
        if _blank(header):
            continue
        column = _column(index, header, layout)
        if column is None:
            ignored.append(str(header).strip())
        else:
            columns.append(column)
    return ColumnMap(row_number, columns, ignored, layout.required)


def find_header(rows: list[tuple[int, list[Any]]], layout: Layout = INVENTORY) -> ColumnMap | None:
    """The header among the first rows: the first with every required column, else the richest.

    Exports often start with title rows (检索式, 导出时间 …); those match no
    alias and are skipped. None when no row names any known column.
    """
    best: ColumnMap | None = None
    for row_number, cells in rows[:HEADER_SCAN_ROWS]:
        candidate = map_header(row_number, cells, layout)
        if not candidate.columns:
            continue
        if not candidate.missing and len(candidate.targets) >= len(layout.required):
            return candidate
        if best is None or len(candidate.targets) > len(best.targets):
            best = candidate
    return best
