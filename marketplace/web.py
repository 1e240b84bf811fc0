"""Request plumbing shared by pages and the API: sign-in, locale, commit boundary, errors."""
from __future__ import annotations

import logging
from typing import Any

from flask import (
    Flask, current_app, flash, has_request_context, jsonify, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from marketplace.core import transaction
from marketplace.core.errors import DomainError, ServiceUnavailable
from marketplace.core.money import format_cny
from marketplace.extensions import babel, db, login_manager

log = logging.getLogger(__name__)
LOCALES = ("zh", "en")


def select_locale() -> str:
    """Chinese first: the session's explicit choice, then the user's saved one, else 简体中文 (also for jobs and CLI)."""
    if not has_request_context():
        return "zh"
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    return "zh"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录 / Please sign in first"
    login_manager.session_protection = "strong"
    babel.init_app(app, locale_selector=select_locale)

    from marketplace.accounts import services as accounts

    @login_manager.user_loader
    def load_user(user_id: str):
        return accounts.get_active_user(int(user_id))

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api_request():
            return jsonify(error="unauthorized", message="需要登录或 API 令牌 / sign-in or API token required",
                           fields={}), 401
        flash(login_manager.login_message, "warning")
        return redirect(url_for("accounts.login", next=request.full_path))

    @app.after_request
    def commit_unit_of_work(response):
        """One commit per request, only for successful responses; errors roll back."""
        if response.status_code < 400:
            try:
                transaction.commit()
            except Exception:
                transaction.rollback()
                raise
        else:
            transaction.rollback()
        return response

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        transaction.rollback()
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, ServiceUnavailable) else {}
        if is_api_request():
            return jsonify(error.to_dict()), error.status, headers
        return render_template("error.html", status=error.status, message=error.message,
                               fields=error.fields), error.status, headers

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        transaction.rollback()
        if is_api_request() or request.accept_mimetypes.best == "application/json":
            return jsonify(_http_error_body(error)), error.code
        return render_template("error.html", status=error.code, message=error.description, fields={}), error.code

    @app.context_processor
    def template_helpers() -> dict[str, Any]:
        from marketplace.navigation import nav_items
        return {**vocabulary_labels(), "format_cny": format_cny, "nav_items": nav_items, "current_locale": select_locale(), "taxonomy": app.extensions["taxonomy"],
                "settings": app.config["SETTINGS"]}

    @app.route("/lang/<code>")
    def set_locale(code: str):
        if code in LOCALES:
            session["locale"] = code
        target = request.referrer or url_for("home.index")
        return redirect(target if target.startswith(request.host_url) else url_for("home.index"))

    @app.teardown_appcontext
    def discard_session(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()


def vocabulary_labels() -> dict[str, Any]:
    """Template functions turning stored codes into the visitor's language (the patents' catalogue labels)."""
    from marketplace.patents.forms import MATURITY_LABELS, MODE_LABELS, STATUS_LABELS, TYPE_LABELS

    english = select_locale() == "en"

    def labeller(labels: dict[Any, Any]):
        enum_cls = type(next(iter(labels)))

        def label(value: object) -> str:
            if value in (None, ""):
                return "—"
            member = enum_cls.parse(str(value))
            return str(labels[member]) if member in labels else str(value)
        return label

    def segment_label(code: str) -> str:
        segment = current_app.extensions["taxonomy"].get(code)
        return segment.label("en" if english else "zh") if segment else code

    return {"patent_type_label": labeller(TYPE_LABELS), "legal_status_label": labeller(STATUS_LABELS),
            "maturity_label": labeller(MATURITY_LABELS), "mode_label": labeller(MODE_LABELS),
            "segment_label": segment_label,
            "yes_no_label": lambda v: ("Yes" if english else "是") if str(v).lower() in ("true", "1") else ("No" if english else "否")}


def _http_error_body(error: HTTPException) -> dict[str, object]:
    """Flatten webargs/marshmallow messages into ``fields`` so every API error has one shape."""
    fields: dict[str, str] = {}
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    for location in messages.values():
        for name, reasons in (location.items() if isinstance(location, dict) else []):
            fields[name] = "; ".join(_flatten(reasons))
    code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_failed",
            429: "too_many_requests", 503: "service_unavailable"}.get(error.code or 500, "error")
    message = error.description or error.name
    if fields:
        message = "; ".join(f"{k}: {v}" for k, v in fields.items())
    if error.code == 413:
        message = _("上传文件过大 / upload too large")
    return {"error": code, "message": message, "fields": fields}


def _flatten(reasons: Any) -> list[str]:
    if isinstance(reasons, str):
        return [reasons]
    if isinstance(reasons, dict):
        return [f"{k}: {m}" for k, v in reasons.items() for m in _flatten(v)]
    return [m for r in reasons for m in _flatten(r)]
