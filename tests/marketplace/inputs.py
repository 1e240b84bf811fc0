"""Reading a page's field errors, to compare them with the API's ``fields`` for the same input."""
from __future__ import annotations

import html
import re

_FIELD_ERROR = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([a-z_]+)"[^>]*>(?:(?!<(?:input|select|textarea)\b).)*?'
                          r'<div class="invalid-feedback">([^<]*)</div>', re.S)


def page_errors(response) -> dict[str, str]:
    """{field name: reason} as the page shows them, under each field (``macros.field``)."""
    return {name: html.unescape(reason) for name, reason in _FIELD_ERROR.findall(response.get_data(as_text=True))}
