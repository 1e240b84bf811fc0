"""Request plumbing shared by pages and the API: sign-in, locale, commit boundary, errors, input limits, headers."""
from __future__ import annotations

import logging
from typing import Any

from flask import (
    Flask, current_app, flash, g, has_request_context, jsonify, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

from marketplace.api.inputs import field_reasons
from marketplace.core import sqlite, transaction
from marketplace.core.errors import DomainError
from marketplace.core.i18n import LOCALES
from marketplace.core.inputs import INT_MAX, MAX_JSON_BYTES
from marketplace.core.money import format_cny
from marketplace.core.validation import FIELD_LABELS, field_message
from marketplace.extensions import babel, db, login_manager

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# No inline script anywhere (templates load static/js/*.js); inline style attributes are allowed.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
                           "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a non-negative integer that fits a database id (64 bits), else no match (404).

    Without the bound, ``/api/v1/patents/9223372036854775808`` reached SQLite
    and raised ``OverflowError``; a 5,000-digit number would not even convert.
    """

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(INT_MAX)):
            raise ValidationError()
        return super().to_python(value)


def select_locale() -> str:
    """Chinese first: the session's explicit choice, then the user's saved one, else 简体中文."""
    if not has_request_context():  # jobs and CLI: messages in the default language
        return "zh"
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    if is_api_request():  # API clients ask with Accept-Language; pages stay Chinese first
        return request.accept_languages.best_match(LOCALES) or "zh"
    return "zh"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    """Called by ``create_app`` before any blueprint is registered (the id converter must be in place)."""
    app.url_map.converters["int"] = IdConverter
    hops = app.config["SETTINGS"].trusted_proxy_hops
    if hops:  # behind N reverse proxies: the client address and scheme come from their X-Forwarded-* headers
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("请先登录")
    login_manager.session_protection = "strong"
    babel.init_app(app, locale_selector=select_locale)

    from marketplace.accounts import services as accounts

    @login_manager.user_loader
    def load_user(session_id: str):
        return accounts.load_session_user(session_id)

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api_request():
            return jsonify(error="unauthorized", message=_("需要登录或 API 令牌"), fields={}), 401
        flash(str(login_manager.login_message), "warning")
        return redirect(url_for("accounts.login", next=request.full_path))

    @app.before_request
    def declare_write_intent() -> None:
        """Requests that may write start their SQLite transaction as a writer (see ``core.sqlite``)."""
        g.write_intent = sqlite.set_write_intent(request.method not in SAFE_METHODS)

    @app.teardown_request
    def end_write_intent(exc: BaseException | None) -> None:
        token = g.pop("write_intent", None)
        if token is not None:
            sqlite.reset_write_intent(token)

    @app.before_request
    def limit_request_body() -> None:
        """Uploads may be ``MAX_UPLOAD_MB``; every other body (JSON, forms) at most ``MAX_JSON_BYTES`` (413 above)."""
        if request.mimetype != "multipart/form-data":
            request.max_content_length = min(MAX_JSON_BYTES, app.config["MAX_CONTENT_LENGTH"] or MAX_JSON_BYTES)

    @app.after_request
    def security_headers(response):
        """CSP without inline script, no framing, no MIME sniffing, no cross-origin referrer; HSTS in production."""
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["SETTINGS"].production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

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
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
        body = error.to_dict()
        if error.fields and error.message == "; ".join(f"{k}: {v}" for k, v in error.fields.items()):
            body["message"] = field_message(error.fields, _argument_labels())  # fields by label, not by code
        if is_api_request():
            return jsonify(body), error.status, headers
        return render_template("error.html", status=error.status, message=body["message"],
                               fields=error.fields), error.status, headers

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        transaction.rollback()
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]  # Allow, Retry-After …
        if is_api_request() or request.accept_mimetypes.best == "application/json":
            return jsonify(_http_error_body(error)), error.code, headers
        return (render_template("error.html", status=error.code, message=http_message(error), fields={}),
                error.code, headers)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def handle_value_out_of_range(error: Exception):
        """Last line of defence: a number no column can hold reached the database (inputs should stop it first)."""
        transaction.rollback()
        log.warning("value out of range reached the database on %s %s: %s", request.method, request.path, error)
        status, message = (404, _("不存在")) if request.method in ("GET", "HEAD") else (422, _("数值超出范围"))
        if is_api_request():
            code = "not_found" if status == 404 else "validation_failed"
            return jsonify(error=code, message=message, fields={}), status
        return render_template("error.html", status=status, message=message, fields={}), status

    @app.context_processor
    def template_helpers() -> dict[str, Any]:
        from marketplace.navigation import nav_items
        return {**vocabulary_labels(), "format_cny": format_cny, "nav_items": nav_items, "current_locale": select_locale(), "taxonomy": app.extensions["taxonomy"],
                "settings": app.config["SETTINGS"]}

    @app.get("/favicon.ico")
    def favicon():
        """Browsers ask for /favicon.ico whatever the page links: send them to the site's icon."""
        return redirect(url_for("static", filename="img/favicon.svg"), code=301)

    @app.get("/lang/<code>")
    def set_locale(code: str):
        """A visitor's language, kept in the session only (a GET writes nothing else)."""
        if code in LOCALES:
            session["locale"] = code
        return _back()

    @app.post("/lang/<code>")
    def save_locale(code: str):
        """The header's switch for a signed-in user (a CSRF-checked form): the session's language and
        ``User.locale``, so mail written for them from now on is in the language they switched to."""
        if code in LOCALES:
            session["locale"] = code
            if current_user.is_authenticated:
                from marketplace.accounts.services import remember_locale
                remember_locale(current_user, code)
        return _back()

    def _back():
        target = request.referrer or url_for("home.index")
        return redirect(target if target.startswith(request.host_url) else url_for("home.index"))

    @app.teardown_appcontext
    def discard_session(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()


def vocabulary_labels() -> dict[str, Any]:
    """Template functions turning stored codes into the visitor's language (the patents' catalogue labels)."""
    from marketplace.patents.vocab import MATURITY_LABELS, MODE_LABELS, STATUS_LABELS, TYPE_LABELS

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


# werkzeug describes its errors in English; the platform says them in the visitor's language.
HTTP_MESSAGES = {400: _l("请求无效"), 401: _l("请先登录"), 403: _l("无权进行此操作"), 404: _l("不存在"),
                 405: _l("此地址不接受这种请求方式"), 413: _l("请求体过大"), 429: _l("请求过于频繁，请稍后再试"),
                 503: _l("服务暂时不可用，请稍后再试")}


def http_message(error: HTTPException) -> str:
    """The error's message: a description the app gave (``abort(404, _("…"))``) as given, werkzeug's own default
    replaced by the platform's words in the visitor's language."""
    if error.description == type(error).description and error.code in HTTP_MESSAGES:
        return str(HTTP_MESSAGES[error.code])
    return str(error.description or error.name)


def _http_error_body(error: HTTPException) -> dict[str, object]:
    """Flatten webargs/marshmallow messages into ``fields`` so every API error has one shape."""
    fields: dict[str, str] = {}
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    for location in messages.values():
        fields.update(field_reasons(location) if isinstance(location, dict) else {})
    code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_failed",
            429: "too_many_requests", 503: "service_unavailable"}.get(error.code or 500, "error")
    message = http_message(error)
    if fields:
        message = field_message(fields, _argument_labels())
    if error.code == 413:
        message = _("请求体过大")
    return {"error": code, "message": str(message), "fields": fields}


def _argument_labels() -> dict[str, Any]:
    """Field labels for an API error's message: the shared ``FIELD_LABELS``, overridden by each argument schema field's
    ``metadata["label"]`` (so the message names fields as the pages do, in the visitor's language)."""
    labels: dict[str, Any] = dict(FIELD_LABELS)
    view = current_app.view_functions.get(request.endpoint or "")
    for parameter in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
        schema = parameter.get("schema")
        schema = schema() if isinstance(schema, type) else schema
        for name, field in getattr(schema, "fields", {}).items():
            if "label" in field.metadata:
                labels[field.data_key or name] = field.metadata["label"]
    return labels
