"""Push forms; Flask-WTF adds the CSRF token to each, the services do the real validation."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.needs.forms import CheckboxListField, segment_choices
from marketplace.patents.vocab import MODE_LABELS
from marketplace.push.feedback import MAX_COMMENT, MAX_MESSAGE
from marketplace.segments.taxonomy import Taxonomy

EMAIL_MODES = [("immediate", _l("每条立即发送")), ("digest", _l("每日摘要")), ("off", _l("不发送邮件"))]
FEEDBACK_CHOICES = [("interested", _l("感兴趣")), ("contacted", _l("已联系")), ("not_relevant", _l("不相关"))]
REASON_CHOICES = [("too_early", _l("太早期")), ("benefit_unclear", _l("收益不明确")),
                  ("commercial_route_unclear", _l("商业化路径不清")), ("not_our_field", _l("不属于我们领域")),
                  ("price", _l("价格"))]


class SubscriptionForm(FlaskForm):
    segments = SelectMultipleField(_l("产业领域"), validate_choice=False, render_kw={"size": 10})
    keywords = StringField(_l("关键词（可选，逗号分隔）"), validators=[Optional(), Length(max=1000)])
    min_grade = SelectField(_l("最低分级"), choices=[("", _l("不限")), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")],
                            validate_choice=False)
    open_license_only = BooleanField(_l("只推送开放许可专利"))
    modes = CheckboxListField(_l("转化方式（可选）"), choices=list(MODE_LABELS.items()))

    def __init__(self, *args: Any, taxonomy: Taxonomy, locale: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segments.choices = segment_choices(taxonomy, locale)

    def values(self) -> dict[str, Any]:
        return {"segments": self.segments.data or [], "keywords": self.keywords.data, "min_grade": self.min_grade.data,
                "open_license_only": self.open_license_only.data, "modes": self.modes.data or []}


class EmailModeForm(FlaskForm):
    email_mode = SelectField(_l("邮件通知"), choices=EMAIL_MODES, validate_choice=False)


class FeedbackForm(FlaskForm):
    status = RadioField(_l("您的反馈"), choices=FEEDBACK_CHOICES, validators=[DataRequired()])
    reason = SelectField(_l("不相关的原因"), choices=[("", "—"), *REASON_CHOICES],
                         validate_choice=False)
    comment = TextAreaField(_l("补充说明（可选）"), validators=[Optional(), Length(max=MAX_COMMENT)], render_kw={"rows": 2})


class MessageForm(FlaskForm):
    body = TextAreaField(_l("消息"), validators=[DataRequired(), Length(max=MAX_MESSAGE)], render_kw={"rows": 3})
