"""Closed vocabularies of the patent domain, with their Chinese labels.

The labels double as the import aliases: a spreadsheet saying 发明专利 or
"invention" maps to the same member. The labels shown on pages (lazy gettext,
so English pages show English) are defined once, next to the enums below
(``TYPE_LABELS`` …), and are what ``member.label`` returns.
"""
from __future__ import annotations

import enum
import functools

from collections.abc import Mapping
from typing import Any, TypeVar

from flask_babel import LazyString

from marketplace.core.i18n import lazy_gettext as _l
from marketplace.legal.annual_fees import TYPE_NAMES


class LabelledEnum(enum.StrEnum):
    """A StrEnum whose members carry a Chinese label and import aliases."""

    label_zh: str
    aliases: tuple[str, ...]

    def __new__(cls, value: str, label_zh: str = "", *aliases: str) -> "LabelledEnum":
        # (label_zh's default only tells type checkers that ``PatentType("invention")`` is a lookup)
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_zh = label_zh
        member.aliases = aliases
        return member

    @property
    def label(self) -> str:
        """The label in the visitor's language: the enum's registered lazy label (``lazy_labels``) when it has
        one; else the Chinese label, or the readable code in English."""
        labels = _LAZY_LABELS.get(type(self))
        if labels is not None:
            return str(labels[self])
        from flask_babel import get_locale
        try:
            english = str(get_locale()) == "en"
        except (RuntimeError, AttributeError):  # outside a request: Chinese
            english = False
        return self.value.replace("_", " ").capitalize() if english else self.label_zh

    @property
    def lazy_label(self) -> LazyString:
        """``label`` evaluated when rendered, for choices built at import time."""
        return LazyString(lambda: self.label)

    @classmethod
    def parse(cls, raw: str) -> "LabelledEnum | None":
        """Match a value, its Chinese label or an alias, ignoring case and spaces."""
        return _lookup(cls).get((raw or "").strip().lower().replace(" ", ""))


_LAZY_LABELS: dict[type[enum.Enum], Mapping[Any, Any]] = {}
E = TypeVar("E", bound=enum.Enum)


def lazy_labels(enum_class: type[E], labels: dict[E, Any]) -> dict[E, Any]:
    """Register an enum's page labels (lazy gettext, every member): the one place they are written; returns them
    (for choices, templates and exports)."""
    missing = [member for member in enum_class if member not in labels]
    if missing:
        raise ValueError(f"{enum_class.__name__}: no label for {missing}")
    _LAZY_LABELS[enum_class] = labels
    return labels


def label_of(value: enum.Enum) -> str:
    """The registered page label of any enum member (``lazy_labels``)."""
    return str(_LAZY_LABELS[type(value)][value])


@functools.cache
def _lookup(cls: type[LabelledEnum]) -> dict[str, LabelledEnum]:
    """Every spelling of every member, built once per enum (imports parse tens of thousands of cells)."""
    table: dict[str, LabelledEnum] = {}
    for member in cls:
        for candidate in (member.value, member.label_zh, *member.aliases):
            table.setdefault(candidate.lower().replace(" ", ""), member)
    return table


class PatentType(LabelledEnum):
    INVENTION = "invention", "发明", "发明专利", "发明授权", "发明申请", "发明公开", "发明公布"
    UTILITY_MODEL = "utility_model", "实用新型", "实用新型专利", "utilitymodel", "utility"
    DESIGN = "design", "外观设计", "外观设计专利", "外观"


class LegalStatus(LabelledEnum):
    PENDING = "pending", "审中", "实质审查", "审中-实质审查", "实质审查的生效", "公开", "在审"
    GRANTED = "granted", "有效", "授权", "有权", "有权-审定授权", "专利权维持", "granted", "inforce"
    FEE_OVERDUE = "fee_overdue", "等年费滞纳金", "年费滞纳", "未缴年费"
    INVALIDATION_PENDING = "invalidation_pending", "无效宣告请求审查中", "无效宣告中", "无效宣告审查中", "无效宣告请求中"
    TERMINATED = "terminated", "未缴年费专利权终止", "专利权终止", "终止", "失效"
    EXPIRED = "expired", "届满", "期限届满", "专利权届满"
    INVALIDATED = "invalidated", "无效", "全部无效", "被宣告无效"

    @property
    def in_force(self) -> bool:
        return self in (LegalStatus.GRANTED, LegalStatus.FEE_OVERDUE, LegalStatus.INVALIDATION_PENDING)


class Maturity(LabelledEnum):
    RESEARCH = "research", "正在研发"
    LAB = "lab", "通过小试", "小试"
    PILOT = "pilot", "通过中试", "中试"
    SAMPLE = "sample", "已有样品", "样品"
    MASS_PRODUCTION = "mass_production", "可以量产", "量产"
    TRL1 = "trl1", "TRL1", "1"
    TRL2 = "trl2", "TRL2", "2"
    TRL3 = "trl3", "TRL3", "3"
    TRL4 = "trl4", "TRL4", "4"
    TRL5 = "trl5", "TRL5", "5"
    TRL6 = "trl6", "TRL6", "6"
    TRL7 = "trl7", "TRL7", "7"
    TRL8 = "trl8", "TRL8", "8"
    TRL9 = "trl9", "TRL9", "9"


class TransformationMode(LabelledEnum):
    TRANSFER = "transfer", "转让", "技术转让", "完全转让", "专利转让"
    LICENSE = "license", "许可", "技术许可", "许可转让", "专利许可"
    OPEN_LICENSE = "open_license", "开放许可", "专利开放许可"
    EQUITY = "equity", "作价入股", "技术入股", "入股"


class PublicationState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return label_of(self)


TYPE_LABELS = lazy_labels(PatentType, {PatentType(code): name for code, name in TYPE_NAMES.items()})
STATUS_LABELS = lazy_labels(LegalStatus, {
    LegalStatus.PENDING: _l("审中"), LegalStatus.GRANTED: _l("有效"), LegalStatus.FEE_OVERDUE: _l("等年费滞纳金"),
    LegalStatus.INVALIDATION_PENDING: _l("无效宣告请求审查中"), LegalStatus.TERMINATED: _l("未缴年费终止"),
    LegalStatus.EXPIRED: _l("届满"), LegalStatus.INVALIDATED: _l("无效")})
MATURITY_LABELS = lazy_labels(Maturity, {
    Maturity.RESEARCH: _l("正在研发"), Maturity.LAB: _l("通过小试"), Maturity.PILOT: _l("通过中试"),
    Maturity.SAMPLE: _l("已有样品"), Maturity.MASS_PRODUCTION: _l("可以量产"),
    **{m: m.label_zh for m in Maturity if m.value.startswith("trl")}})
# WTForms' own message for a value outside a multiple choice is untranslated in its Chinese catalog (fuzzy):
# the platform's choice fields say it in the visitor's language.
INVALID_CHOICES = _l("“%(value)s”不是可选项")

MODE_LABELS = lazy_labels(TransformationMode, {
    TransformationMode.TRANSFER: _l("转让"), TransformationMode.LICENSE: _l("许可"),
    TransformationMode.OPEN_LICENSE: _l("开放许可"), TransformationMode.EQUITY: _l("作价入股")})
STATE_LABELS = lazy_labels(PublicationState, {PublicationState.DRAFT: _l("草稿"),
                                              PublicationState.PUBLISHED: _l("已发布")})
