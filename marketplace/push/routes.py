"""Pages: the inbox, subscriptions, a pushed match with feedback and messages, the owner's roll-up, /admin/jobs."""
from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core import outbox, transaction
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.jobs import jobs
from marketplace.core.scheduler import periodic_jobs
from marketplace.core.views import act_and_redirect, page_number, show_errors
from marketplace.deals import brokering
from marketplace.push import contact, feedback, services
from marketplace.push.forms import EmailModeForm, FeedbackForm, MessageForm, SubscriptionForm
from marketplace.push.models import REASON_LABELS
from marketplace.web import select_locale

bp = Blueprint("push", __name__)
PER_PAGE = 20


@bp.app_context_processor
def inbox_badge() -> dict[str, Any]:
    """``inbox_unread()`` for the header; a callable, so pages that do not show it run no query."""
    def inbox_unread() -> int:
        return services.unread_count(current_user) if current_user.is_authenticated else 0
    return {"inbox_unread": inbox_unread}


def _subscription_form(**kwargs: Any) -> SubscriptionForm:
    return SubscriptionForm(taxonomy=current_app.extensions["taxonomy"], locale=select_locale(), **kwargs)


# --- inbox ----------------------------------------------------------------------------------------

@bp.get("/notifications")
@login_required
def inbox():
    page = page_number()
    unread_only = request.args.get("unread") == "1"
    items, total = services.list_notifications(current_user, page, PER_PAGE, unread_only=unread_only)
    return render_template("push/inbox.html", items=items, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), unread_only=unread_only)


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """An inbox entry on its own (the link e-mails carry): reading it changes nothing; its button posts ``follow``."""
    notification = services.get_notification(current_user, notification_id)
    return render_template("push/notification.html", n=notification)


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def follow_notification(notification_id: int):
    """Follow an inbox entry: mark it read, go to its match, thread or proposal, else back to the inbox."""
    notification = services.mark_read(current_user, notification_id)
    data = notification.data or {}
    if notification.match_id is not None:
        return redirect(url_for("push.match", match_id=notification.match_id))
    if data.get("thread_id"):
        return redirect(url_for("push.thread", thread_id=data["thread_id"]))
    if data.get("proposal_id"):
        return redirect(url_for("consents.proposal", proposal_id=data["proposal_id"]))
    return redirect(url_for("push.inbox", _anchor=f"n{notification.id}"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    services.mark_read(current_user, notification_id)
    return redirect(url_for("push.inbox"))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    count = services.mark_all_read(current_user)
    flash(_("已将 %(count)d 条消息标为已读", count=count), "success")
    return redirect(url_for("push.inbox"))


# --- subscriptions --------------------------------------------------------------------------------

@bp.route("/subscriptions", methods=["GET", "POST"])
@login_required
def subscriptions():
    form = _subscription_form()
    if form.validate_on_submit():
        try:
            services.subscribe(current_user, form.values())
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("订阅已保存：此后发布的相关成果会推送给您"), "success")
            return redirect(url_for("push.subscriptions"))
    mode_form = EmailModeForm(email_mode=services.email_mode(current_user).value)
    return render_template("push/subscriptions.html", form=form, mode_form=mode_form,
                           subscriptions=services.list_subscriptions(current_user),
                           target=services.target_for(current_user.organisation.kind)
                           if current_user.organisation else None)


@bp.post("/subscriptions/<int:subscription_id>/delete")
@login_required
def unsubscribe(subscription_id: int):
    services.delete_subscription(current_user, subscription_id)
    flash(_("订阅已取消"), "success")
    return redirect(url_for("push.subscriptions"))


@bp.post("/subscriptions/email")
@login_required
def email_preference():
    form = EmailModeForm()
    if form.validate_on_submit():
        services.set_email_mode(current_user, form.email_mode.data)
        flash(_("邮件通知方式已更新"), "success")
    return redirect(url_for("push.subscriptions"))


# --- a match: explanation, feedback, messages ------------------------------------------------------

def _render_match(match_id: int, feedback_form: FeedbackForm | None = None, message_form: MessageForm | None = None,
                  status: int = 200):
    match, side = feedback.get_match(current_user, match_id)
    _match, messages = feedback.list_messages(current_user, match_id)
    return render_template("push/match.html", match=match, side=side, messages=messages,
                           thread_id=feedback.thread_id_of(match.id),
                           feedback_form=feedback_form or FeedbackForm(), message_form=message_form or MessageForm(),
                           reason_labels=REASON_LABELS), status


@bp.get("/matches/<int:match_id>")
@login_required
def match(match_id: int):
    return _render_match(match_id)


@bp.post("/matches/<int:match_id>/viewed")
@login_required
def viewed(match_id: int):
    """Posted by the match page once shown to the need's company (script, or its button without one)."""
    feedback.mark_viewed(current_user, match_id)
    return redirect(url_for("push.match", match_id=match_id))


@bp.post("/matches/<int:match_id>/feedback")
@login_required
def give_feedback(match_id: int):
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            feedback.give_feedback(current_user, match_id, {"status": form.status.data, "reason": form.reason.data,
                                                            "comment": form.comment.data})
        except DomainError as error:
            if error.status == 404:
                raise
            transaction.rollback()
            show_errors(form, error)
            return _render_match(match_id, feedback_form=form, status=error.status)
        flash(_("感谢反馈，已告知专利权人") if form.status.data == "interested" else _("反馈已记录"), "success")
        return redirect(url_for("push.match", match_id=match_id))
    return _render_match(match_id, feedback_form=form, status=422)


@bp.post("/matches/<int:match_id>/messages")
@login_required
def post_message(match_id: int):
    form = MessageForm()
    if form.validate_on_submit():
        try:
            feedback.post_message(current_user, match_id, form.body.data)
        except DomainError as error:
            if error.status == 404:
                raise
            transaction.rollback()
            show_errors(form, error)
            return _render_match(match_id, message_form=form, status=error.status)
        return redirect(url_for("push.match", match_id=match_id, _anchor="thread"))
    return _render_match(match_id, message_form=form, status=422)


# --- contact the owner of a published patent -------------------------------------------------------

@bp.route("/patents/<int:patent_id>/contact", methods=["GET", "POST"])
@login_required
def contact_owner(patent_id: int):
    """The first message to a patent's owner; once the thread exists, the thread."""
    patent, thread = contact.contact_thread(current_user, patent_id)
    if thread is not None and request.method == "GET":
        return redirect(url_for("push.thread", thread_id=thread.id))
    form = MessageForm()
    status = 200
    if form.validate_on_submit():
        try:
            message = contact.contact_owner(current_user, patent_id, form.body.data)
        except DomainError as error:
            transaction.rollback()
            show_errors(form, error)
            status = error.status
        else:
            flash(_("消息已发送给权利人"), "success")
            return redirect(url_for("push.thread", thread_id=message.thread_id, _anchor="thread"))
    elif request.method == "POST":
        status = 422
    return render_template("push/contact.html", patent=patent, messages=[], form=form, thread=None), status


@bp.route("/threads/<int:thread_id>", methods=["GET", "POST"])
@login_required
def thread(thread_id: int):
    """A thread between a patent's owner and an organisation that wrote to it (or a match's company): either side
    answers, and so does an agency both admitted. An agency brokering it that has not joined sees who talks and
    may ask to join — no message."""
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                contact.reply(current_user, thread_id, form.body.data)
            except DomainError as error:
                if error.status == 404:
                    raise
                transaction.rollback()
                show_errors(form, error)
                status = error.status
            else:
                return redirect(url_for("push.thread", thread_id=thread_id, _anchor="thread"))
        else:
            status = 422
    try:
        found, patent, messages = contact.get_thread(current_user, thread_id)
    except NotFound:
        if request.method == "POST":
            raise
        return render_template("push/thread_join.html", view=brokering.joinable(current_user, thread_id))
    return render_template("push/contact.html", patent=patent, messages=messages, form=form, thread=found,
                           view=brokering.view_of(found), agencies=brokering.panel(current_user, found.id)), status


@bp.post("/threads/<int:thread_id>/agencies")
@login_required
def request_to_join(thread_id: int):
    """A brokering agency asks both parties to let it into the thread."""
    def ask() -> None:
        brokering.request_to_join(current_user, thread_id)
    return act_and_redirect(ask, _("已请求加入，待对话双方通过各自账户同意"), url_for("push.thread", thread_id=thread_id))


@bp.post("/threads/<int:thread_id>/agencies/<int:agency_id>/remove")
@login_required
def remove_agency(thread_id: int, agency_id: int):
    """A party removes the agency (or withdraws its request); the agency itself leaves."""
    member = brokering.remove(current_user, thread_id, agency_id)
    flash(_("已退出对话") if current_user.organisation_id == agency_id
          else _("已将 %(name)s 移出对话", name=member.organisation.name), "success")
    if current_user.organisation_id == agency_id:
        return redirect(url_for("push.brokered_threads"))
    return redirect(url_for("push.thread", thread_id=thread_id))


@bp.get("/thread-members/<int:member_id>")
@login_required
def thread_member(member_id: int):
    """Where a join request's consent leads: its thread."""
    return redirect(url_for("push.thread", thread_id=brokering.member_thread(current_user, member_id)))


@bp.get("/brokered-threads")
@login_required
def brokered_threads():
    """An agency's view of the threads of the organisations it serves (and those it asked to join)."""
    return render_template("push/brokered_threads.html", views=brokering.brokered_threads(current_user))


@bp.get("/feedback")
@login_required
def owner_feedback():
    """The owner's view of how companies reacted, rolled up per patent."""
    return render_template("push/feedback.html", summaries=feedback.owner_feedback(current_user),
                           reason_labels=REASON_LABELS)


# --- platform admins: failed jobs -----------------------------------------------------------------

def _require_admin() -> None:
    if not current_user.is_platform_admin:
        raise NotFound(_("页面不存在"))


@bp.get("/admin/jobs")
@login_required
def admin_jobs():
    """Failed jobs (RQ's registries), outbox rows still pending and the outbox's dead letter."""
    _require_admin()
    runner = jobs()
    return render_template("push/admin_jobs.html", inline=runner.inline, failed=runner.failed_jobs(),
                           stuck=outbox.pending_events(), pending=outbox.pending_counts(), dead=outbox.dead_letters(),
                           max_attempts=outbox.registry().max_attempts, periodic=periodic_jobs())


@bp.post("/admin/jobs/<job_id>/requeue")
@login_required
def requeue_job(job_id: str):
    _require_admin()
    if jobs().inline or not jobs().requeue_failed(job_id):
        raise NotFound(_("任务不存在"))
    flash(_("任务已重新排队：%(id)s", id=job_id), "success")
    return redirect(url_for("push.admin_jobs"))


@bp.post("/admin/jobs/outbox/<consumer>/drain")
@login_required
def drain_consumer(consumer: str):
    """Re-run a consumer's pending outbox rows now (the inline counterpart of re-queueing a job)."""
    _require_admin()
    if consumer not in outbox.consumer_names():
        raise NotFound(_("任务不存在"))
    delivered = outbox.drain(consumer)
    flash(_("%(consumer)s：已处理 %(count)d 条", consumer=consumer, count=delivered), "success")
    return redirect(url_for("push.admin_jobs"))


@bp.post("/admin/jobs/outbox/<consumer>/revive")
@login_required
def revive_consumer(consumer: str):
    """Re-run a consumer's dead-lettered rows: a fresh attempt budget, then a drain now."""
    _require_admin()
    if consumer not in outbox.consumer_names():
        raise NotFound(_("任务不存在"))
    revived = outbox.revive(consumer)
    delivered = outbox.drain(consumer)
    flash(_("%(consumer)s：重新运行 %(revived)d 条，已处理 %(count)d 条", consumer=consumer, revived=revived,
            count=delivered), "success")
    return redirect(url_for("push.admin_jobs"))


@bp.cli.command("run-periodic")
@click.argument("name")
def run_periodic(name: str) -> None:
    """Run one periodic job now, in this process (development without Redis, or by hand)."""
    entry = next((p for p in periodic_jobs() if p.name == name), None)
    if entry is None:
        raise click.BadParameter(f"one of: {', '.join(p.name for p in periodic_jobs())}", param_hint="NAME")
    click.echo(f"{name}: {entry.job()}")
