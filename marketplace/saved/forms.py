"""Forms of the saved searches: save the current search, rename it (and switch its alerts), delete or open it."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length, Optional

from marketplace.core.i18n import lazy_gettext as _l
from marketplace.saved.services import MAX_NAME


class SaveSearchForm(FlaskForm):
    """Posted from the search page; the query and filters come as the page's own parameters."""

    name = StringField(_l("检索名称"), validators=[Optional(), Length(max=MAX_NAME)])
    q = HiddenField()
    alerts = BooleanField(_l("有新结果时邮件提醒"), default=True)


class EditSavedForm(FlaskForm):
    name = StringField(_l("检索名称"), validators=[Optional(), Length(max=MAX_NAME)])
    alerts = BooleanField(_l("有新结果时邮件提醒"))


class ActionForm(FlaskForm):
    """Open or delete: a CSRF token only."""


FILTER_LABELS = {"segment": _l("产业领域"), "grade": _l("分级"), "patent_type": _l("专利类型"), "ipc_section": _l("IPC 部"),
                 "owner_id": _l("权利人"), "legal_status": _l("法律状态"), "maturity": _l("成熟度"), "mode": _l("转化方式"),
                 "open_license": _l("开放许可"), "sort": _l("排序")}
SORT_LABELS = {"relevance": _l("相关度"), "application_date_desc": _l("申请日从新到旧"),
               "application_date_asc": _l("申请日从旧到新"), "grade": _l("分级")}
