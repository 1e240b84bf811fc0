"""Account forms; Flask-WTF adds the CSRF token to every one."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from marketplace.accounts.models import Organisation, Role

KIND_CHOICES = [("university", _l("高校")), ("institute", _l("科研院所")), ("company", _l("企业")),
                ("agency", _l("运营机构")), ("bank", _l("银行")), ("guarantee", _l("融资担保公司")),
                ("financial", _l("其他金融机构"))]
ROLE_CHOICES = [(Role.MEMBER.value, _l("成员")), (Role.ADMIN.value, _l("管理员")), (Role.OWNER.value, _l("所有者"))]


class LoginForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired()])
    remember = BooleanField(_l("记住我"))


class RegisterForm(FlaskForm):
    kind = SelectField(_l("机构类型"), choices=KIND_CHOICES)
    name = StringField(_l("机构名称"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(_l("统一社会信用代码"), validators=[DataRequired(), Length(min=18, max=18)])
    region_code = StringField(_l("行政区划代码"), validators=[DataRequired(), Length(min=6, max=6)])
    is_sme = BooleanField(_l("中小企业"))
    user_name = StringField(_l("联系人姓名"), validators=[DataRequired(), Length(max=100)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(min=8)])
    confirm = PasswordField(_l("确认密码"), validators=[EqualTo("password")])


class OrganisationForm(FlaskForm):
    name = StringField(_l("机构名称"), validators=[DataRequired(), Length(max=200)])
    region_code = StringField(_l("行政区划代码"), validators=[DataRequired(), Length(min=6, max=6)])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=100)])
    contact_email = EmailField(_l("联系邮箱"), validators=[Optional(), Length(max=254)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=40)])
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=2000)])
    is_sme = BooleanField(_l("中小企业"))
    grade_labels = StringField(_l("分级标签（逗号分隔）"), validators=[DataRequired(), Length(max=400)])

    FIELDS = ("name", "region_code", "contact_name", "contact_email", "contact_phone", "description", "is_sme",
              "grade_labels")

    @classmethod
    def initial(cls, organisation: Organisation | None) -> dict[str, object]:
        """The stored profile as the form shows it (grade labels as one comma-separated text).

        Given as ``data``, not ``obj``: a field missing from a POST then keeps
        the stored value instead of the raw list ``obj`` would put in it.
        """
        if organisation is None:
            return {}
        values: dict[str, object] = {name: getattr(organisation, name) for name in cls.FIELDS}
        values["grade_labels"] = ", ".join(organisation.grade_labels)
        return values


class InviteForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("角色"), choices=ROLE_CHOICES)


class RoleForm(FlaskForm):
    role = SelectField(_l("角色"), choices=ROLE_CHOICES)


class ConfirmForm(FlaskForm):
    """An empty form: just the CSRF token for buttons that POST."""


class TokenForm(FlaskForm):
    name = StringField(_l("令牌名称"), validators=[DataRequired(), Length(max=100)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Length(max=254)])


class SetPasswordForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[Optional(), Length(max=100)])
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=8)])
    confirm = PasswordField(_l("确认密码"), validators=[EqualTo("password")])
