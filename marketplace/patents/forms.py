"""Patent forms and the translated labels of the patent vocabularies.

The forms only collect raw values; ``services.validate_patent_values`` checks
them, so a page, the API and the spreadsheet import refuse the same input
with the same messages.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, EmailField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField,
    TextAreaField, widgets,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.patents.models import Patent
from marketplace.patents.queries import PatentFilters
from marketplace.patents.vocab import (
    INVALID_CHOICES, MATURITY_LABELS, MODE_LABELS, STATE_LABELS, STATUS_LABELS, TYPE_LABELS, LegalStatus,
)
from marketplace.segments.taxonomy import Taxonomy

SORT_CHOICES = [("newest", _l("最新")), ("application_date", _l("申请日")), ("grade", _l("分级"))]
EVALUATION_CHOICES = [("", _l("无")), ("positive", _l("肯定")), ("negative", _l("否定"))]
BULK_ACTIONS = [("grade", _l("设置分级")), ("add_tags", _l("添加标签")), ("replace_tags", _l("替换标签")),
                ("segments", _l("设置产业领域")), ("modes", _l("设置转化方式")), ("maturity", _l("设置成熟度")),
                ("publish", _l("发布")), ("unpublish", _l("下架"))]


def _choices(labels: dict, blank: object | None = None) -> list[tuple[str, object]]:
    options = [(str(member), label) for member, label in labels.items()]
    return [("", blank), *options] if blank is not None else options


def segment_choices(taxonomy: Taxonomy, locale: str) -> list[tuple[str, str]]:
    """The taxonomy as an indented option list, parents before their children."""
    options: list[tuple[str, str]] = []

    def walk(code: str, depth: int) -> None:
        segment = taxonomy.get(code)
        options.append((code, "\u00a0\u00a0" * depth + segment.label(locale)))
        for child in taxonomy.children(code):
            walk(child.code, depth + 1)

    for root in taxonomy.roots():
        walk(root.code, 0)
    return options


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (few options, all visible at once)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, invalid_choice_message=INVALID_CHOICES, **kwargs)


class PatentFilterForm(FlaskForm):
    """The list filters, read from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("标题关键词"), validators=[Optional(), Length(max=100)])
    segment = SelectField(_l("产业领域"))
    grade = SelectField(_l("分级"))
    patent_type = SelectField(_l("专利类型"), choices=_choices(TYPE_LABELS, _l("全部类型")))
    legal_status = SelectField(_l("法律状态"), choices=_choices(STATUS_LABELS, _l("全部状态")))
    owner = IntegerField(_l("权利人"), widget=widgets.HiddenInput(), validators=[Optional()])
    state = SelectField(_l("发布状态"), choices=_choices(STATE_LABELS, _l("全部")))
    sort = SelectField(_l("排序"), choices=SORT_CHOICES, default="newest")

    def setup(self, segments: list[tuple[str, str]], grades: list[str], *, public: bool) -> "PatentFilterForm":
        """Fill the choices that depend on data, then drop any value that is not one of them (``ignored`` says
        which and why: a stale bookmark still lists patents, and the visitor sees what was not applied).

        The public list filters by owner (set by following an owner's name: a
        menu of every organisation would outweigh the page) and shows published
        patents only; an inventory filters by publication state instead.
        """
        self.segment.choices = [("", _l("全部领域")), *segments]
        self.grade.choices = [("", _l("全部分级")), *[(g, g) for g in grades]]
        if public:
            del self.state
        else:
            del self.owner
        self.validate()
        self.ignored: list[tuple[str, str]] = []  # (label, reason) of each value dropped, shown above the list
        for field in self:
            if field.errors:
                if any(field.raw_data or ()):  # a filter left out is no filter, not a mistake
                    self.ignored.append((str(field.label.text), str(field.errors[0])))
                field.data = field.default
                field.errors = []
        return self

    def to_filters(self) -> PatentFilters:
        return PatentFilters.from_values({field.short_name: field.data for field in self})

    def args(self, without: str | None = None) -> dict[str, object]:
        """The active filters as query arguments, for pagination links (``without`` one of them)."""
        return {field.name: field.data for field in self if field.data and field.name != without}


class PatentForm(FlaskForm):
    """Create or edit one patent; list fields take ``;``- or comma-separated text."""

    application_number = StringField(_l("申请号"), validators=[DataRequired(), Length(max=30)])
    patent_type = SelectField(_l("专利类型"), choices=_choices(TYPE_LABELS, _l("按申请号判断")), default="")
    title = StringField(_l("名称"), validators=[DataRequired(), Length(max=500)])
    abstract = TextAreaField(_l("摘要"), validators=[Optional()])
    first_claim = TextAreaField(_l("首项权利要求"), validators=[Optional()])
    ipc_main = StringField(_l("IPC 主分类号"), validators=[Optional(), Length(max=20)])
    ipc_codes = StringField(_l("IPC 分类号（分号分隔）"), validators=[Optional()])
    publication_numbers = StringField(_l("公开（公告）号"), validators=[Optional()])
    co_owners = StringField(_l("共同权利人"), validators=[Optional()])
    inventors = StringField(_l("发明人"), validators=[Optional()])
    application_date = DateField(_l("申请日"), validators=[Optional()])
    publication_date = DateField(_l("公开日"), validators=[Optional()])
    grant_date = DateField(_l("授权公告日"), validators=[Optional()])
    legal_status = SelectField(_l("法律状态"), choices=_choices(STATUS_LABELS), default=LegalStatus.PENDING.value)
    legal_status_on = DateField(_l("法律状态日期"), validators=[Optional()])
    proceedings_suspended = BooleanField(_l("程序中止（权属纠纷、财产保全）"))
    evaluation_report = SelectField(_l("专利权评价报告"), choices=EVALUATION_CHOICES, default="")
    grade = SelectField(_l("分级"), default="")
    tags = StringField(_l("标签"), validators=[Optional()])
    segments = SelectMultipleField(_l("产业领域"), invalid_choice_message=INVALID_CHOICES)
    modes = CheckboxesField(_l("转化方式"), choices=_choices(MODE_LABELS))
    maturity = SelectField(_l("成熟度"), choices=_choices(MATURITY_LABELS, _l("未填写")), default="")
    price_min = StringField(_l("最低价格（元）"), validators=[Optional()])
    price_max = StringField(_l("最高价格（元）"), validators=[Optional()])

    LIST_FIELDS = ("ipc_codes", "publication_numbers", "co_owners", "inventors", "tags")

    def setup(self, segments: list[tuple[str, str]], grades: list[str]) -> "PatentForm":
        self.segments.choices = segments
        self.grade.choices = [("", _l("未分级")), *[(g, g) for g in grades]]
        return self

    def fill(self, patent: Patent) -> "PatentForm":
        """Show a stored patent, lists joined back into text."""
        for name in self.values():
            value = getattr(patent, name)
            if name in self.LIST_FIELDS:
                value = "; ".join(value)
            elif name in ("price_min", "price_max"):
                value = "" if value is None else str(value)
            elif hasattr(value, "value"):
                value = value.value
            getattr(self, name).data = value if value is not None else getattr(self, name).default
        return self

    def values(self) -> dict[str, Any]:
        """The raw field values, keyed as ``validate_patent_values`` expects."""
        return {field.name: field.data for field in self if field.name not in ("csrf_token",)}


class BulkEditForm(FlaskForm):
    """One action applied to the checked patents of the inventory."""

    action = SelectField(_l("批量操作"), choices=BULK_ACTIONS)
    patent_ids = SelectMultipleField(_l("专利"), coerce=int, validate_choice=False)
    all_matching = BooleanField(_l("应用于全部符合当前筛选的专利"))
    grade = SelectField(_l("分级"), default="")
    tags = StringField(_l("标签"), validators=[Optional(), Length(max=500)])
    segments = SelectMultipleField(_l("产业领域"), invalid_choice_message=INVALID_CHOICES)
    modes = CheckboxesField(_l("转化方式"), choices=_choices(MODE_LABELS))
    maturity = SelectField(_l("成熟度"), choices=_choices(MATURITY_LABELS, _l("清空")), default="")

    def setup(self, segments: list[tuple[str, str]], grades: list[str]) -> "BulkEditForm":
        self.segments.choices = segments
        self.grade.choices = [("", _l("清空分级")), *[(g, g) for g in grades]]
        return self

    def validate_patent_ids(self, field: SelectMultipleField) -> None:
        if not field.data and not self.all_matching.data:
            raise ValidationError(_l("请先勾选专利"))

    def values(self) -> dict[str, Any]:
        """The action's own fields, keyed as ``services.apply_bulk`` expects (it reads only the chosen one)."""
        return {name: self[name].data for name in ("grade", "tags", "segments", "modes", "maturity")}


class CoOwnerLinkForm(FlaskForm):
    """Link one co-owner name to an organisation (``organisation_id`` empty removes the link)."""

    name = HiddenField(validators=[DataRequired(), Length(max=200)])
    organisation_id = IntegerField(_l("机构"), validators=[Optional()])


class CoOwnerInviteForm(FlaskForm):
    name = HiddenField(validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("共有人联系邮箱"), validators=[DataRequired(), Length(max=254)])
