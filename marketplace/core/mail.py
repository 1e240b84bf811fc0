"""Outgoing e-mail, queued during the unit of work and sent only after it commits.

Whoever commits a unit of work — ``transaction.commit`` for requests, CLI
commands and jobs, ``outbox.drain`` for a consumer's batch — then calls
``send_queued_mail``; whoever rolls one back calls ``discard_queued_mail``, so
nobody is mailed about a change that did not happen.

Without ``SMTP_HOST`` (development) messages are written to the log, which is
where a developer finds password-reset and invitation links.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from marketplace.core.jobs import job, jobs
from marketplace.extensions import db

log = logging.getLogger(__name__)
_SESSION_KEY = "outgoing_mail"


def queue_mail(to: str, subject: str, body: str) -> None:
    """Hold a message until the surrounding transaction commits."""
    db.session.info.setdefault(_SESSION_KEY, []).append((to, subject, body))


def take_queued_mail() -> list[tuple[str, str, str]]:
    """The messages held by this unit of work (cleared on read)."""
    queued: list[tuple[str, str, str]] = db.session.info.pop(_SESSION_KEY, [])
    return queued


def send_queued_mail() -> None:
    """After a commit: hand every message the committed unit of work queued to the mail job."""
    for message in take_queued_mail():
        jobs().enqueue(deliver_mail, *message)


def discard_queued_mail() -> None:
    """After a rollback: drop what the rolled-back unit of work queued."""
    take_queued_mail()


@job(queue="mail", timeout=60)
def deliver_mail(to: str, subject: str, body: str) -> None:
    """Job: send one message over SMTP, or log it when no SMTP server is configured."""
    settings = current_app.config["SETTINGS"]
    if not settings.smtp_host:
        log.info("MAIL (no SMTP configured) to=%s subject=%s\n%s", to, subject, body)
        return
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_tls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(message)
