"""Outgoing e-mail, queued during the unit of work and sent only after it commits.

Without ``SMTP_HOST`` (development) messages are written to the log, which is
where a developer finds password-reset and invitation links.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from marketplace.core.jobs import job
from marketplace.extensions import db

log = logging.getLogger(__name__)
_SESSION_KEY = "outgoing_mail"


def queue_mail(to: str, subject: str, body: str) -> None:
    """Hold a message until the surrounding transaction commits."""
    db.session.info.setdefault(_SESSION_KEY, []).append((to, subject, body))


def take_queued_mail() -> list[tuple[str, str, str]]:
    queued: list[tuple[str, str, str]] = db.session.info.pop(_SESSION_KEY, [])
    return queued


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
