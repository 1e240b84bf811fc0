"""Pages: sign-in, registration, password reset, organisation profile, members, API tokens."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import forms, services
from marketplace.core.errors import DomainError, TooManyRequests
from marketplace.core.views import client_address, safe_next, show_errors

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = forms.LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, client_address())
        except TooManyRequests as error:
            show_errors(form, error)
            return (render_template("accounts/login.html", form=form), error.status,
                    {"Retry-After": str(error.retry_after)})
        except DomainError as error:
            show_errors(form, error)
        else:
            login_user(user, remember=form.remember.data)
            services.remember_locale(user, session.get("locale"))  # mail reaches them in the language they read
            flash(_("欢迎回来，%(name)s", name=user.name), "success")
            return redirect(safe_next(url_for("dashboard.index")))
    return render_template("accounts/login.html", form=form)


@bp.route("/login/unlock/<token>", methods=["GET", "POST"])
def unlock_login(token: str):
    """The link mailed after repeated failed sign-ins: a button (GET never writes) that lifts the wait."""
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        services.unlock_login(token)
        flash(_("登录已恢复，请重新登录"), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/unlock.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("home.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = forms.RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_organisation(
                kind=form.kind.data, name=form.name.data, credit_code=form.credit_code.data,
                region_code=form.region_code.data, email=form.email.data, user_name=form.user_name.data,
                password=form.password.data, contact_phone=form.contact_phone.data, is_sme=form.is_sme.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            login_user(user)
            flash(_("机构注册成功"), "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/register.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(_("如果该邮箱已注册，重置链接已发送"), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = forms.SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("密码已重置，请登录"), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/set_password.html", form=form, title=_("重置密码"), ask_name=False)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.find_invitation(token)
    form = forms.SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, form.name.data, form.password.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            login_user(user)
            flash(_("已加入 %(org)s", org=invitation.organisation.name), "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/set_password.html", form=form, ask_name=True,
                           title=_("加入 %(org)s", org=invitation.organisation.name))


@bp.route("/organisation", methods=["GET", "POST"])
@login_required
def organisation():
    org = current_user.organisation
    form = forms.OrganisationForm(data=forms.OrganisationForm.initial(org))
    if form.validate_on_submit():
        try:
            services.update_organisation(current_user, {name: form[name].data for name in forms.OrganisationForm.FIELDS})
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("机构资料已保存"), "success")
            return redirect(url_for("accounts.organisation"))
    return render_template("accounts/organisation.html", form=form, org=org,
                           can_manage=bool(current_user.role and current_user.role.manages_members))


@bp.route("/organisation/members", methods=["GET", "POST"])
@login_required
def members():
    form = forms.InviteForm()
    if form.validate_on_submit():
        try:
            services.invite_member(current_user, form.email.data, form.role.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("邀请已发送至 %(email)s", email=form.email.data), "success")
            return redirect(url_for("accounts.members"))
    org = current_user.organisation
    return render_template("accounts/members.html", form=form, org=org,
                           members=services.members_of(org.id) if org else [],
                           role_form=forms.RoleForm(), confirm_form=forms.ConfirmForm(),
                           can_manage=bool(current_user.role and current_user.role.manages_members))


@bp.post("/organisation/members/<int:membership_id>/role")
@login_required
def change_role(membership_id: int):
    form = forms.RoleForm()
    if form.validate_on_submit():
        try:
            services.change_member_role(current_user, membership_id, form.role.data)
            flash(_("角色已更新"), "success")
        except DomainError as error:
            show_errors(None, error)
    return redirect(url_for("accounts.members"))


@bp.post("/organisation/members/<int:membership_id>/remove")
@login_required
def remove_member(membership_id: int):
    if forms.ConfirmForm().validate_on_submit():
        try:
            services.remove_member(current_user, membership_id)
            flash(_("成员已移除"), "success")
        except DomainError as error:
            show_errors(None, error)
    return redirect(url_for("accounts.members"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = forms.TokenForm()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = services.issue_api_token(current_user, form.name.data)
        flash(_("令牌已创建，请立即复制，它不会再次显示"), "warning")
    return render_template("accounts/tokens.html", form=form, new_token=new_token,
                           tokens=services.list_api_tokens(current_user), confirm_form=forms.ConfirmForm())


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if forms.ConfirmForm().validate_on_submit():
        services.revoke_api_token(current_user, token_id)
        flash(_("令牌已吊销"), "success")
    return redirect(url_for("accounts.tokens"))
