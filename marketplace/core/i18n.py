"""Translated text that services can produce wherever they run.

Flask-Babel picks the language from the request (``web.select_locale``); a
service called from the CLI or a job has no request, and there the Chinese
source text is the message (Chinese is the platform's first language).
"""
from __future__ import annotations

from typing import Any

import flask_babel
from flask import has_request_context


LOCALES = ("zh", "en")  # the languages of the interface, Chinese first


def gettext(message: str, **variables: Any) -> str:
    """``flask_babel.gettext`` in a request; the Chinese msgid, formatted, anywhere else."""
    if has_request_context():
        return str(flask_babel.gettext(message, **variables))
    return message % variables if variables else message


def lazy_gettext(message: str, **variables: Any) -> flask_babel.LazyString:
    """``gettext`` evaluated when the text is shown, for labels defined at import time."""
    return flask_babel.LazyString(gettext, message, **variables)
