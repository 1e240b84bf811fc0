"""The English catalog: complete, placeholder-safe, in step with the sources, and really served.

Source strings are Chinese; English is the ``/lang/en`` toggle. A missing or
broken translation shows up as Chinese (or a formatting crash) on an English
page, so these tests check the catalog itself and what visitors see.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "marketplace" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")
# printf-style conversions (``%(name)s``, ``%d``, ``%%``) and str.format fields (``{0}``).
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|\{[^{}]*\}")
HAN = re.compile(r"[\u3400-\u9fff]")


def load_catalog():
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="en")


def translated(catalog):
    return [message for message in catalog if message.id]


def test_every_message_is_translated_and_none_is_fuzzy():
    messages = translated(load_catalog())
    assert len(messages) > 700
    untranslated = [m.id for m in messages if not m.string or (isinstance(m.string, tuple) and not all(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_the_placeholders_of_their_source():
    mismatched = []
    for message in translated(load_catalog()):
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(sources[-1]))
        mismatched += [(message.id, target) for target in targets if sorted(PLACEHOLDER.findall(target)) != expected]
    assert mismatched == []


def test_babel_checkers_accept_the_catalog():
    """The same python-format checks ``pybabel compile`` runs."""
    assert [(message.id, [str(e) for e in errors]) for message, errors in load_catalog().check()] == []


def test_template_translations_survive_jinja_formatting():
    """Jinja's new-style gettext always applies ``%``, so a bare ``%`` in a template string would crash the page."""
    broken = []
    for message in translated(load_catalog()):
        if not any(filename.startswith("templates/") for filename, _ in message.locations):
            continue
        names = {name: 1 for name in re.findall(r"%\(([^)]+)\)", message.id)}
        try:
            message.string % names
        except (KeyError, ValueError, TypeError) as error:
            broken.append((message.id, message.string, str(error)))
    assert broken == []


def test_catalog_holds_every_string_marked_in_the_sources():
    """A new ``_('…')`` must be extracted and translated (see marketplace/translations/README.md)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map,
                                                                           keywords=keywords):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, f"{filename}:{lineno}")
    catalog = load_catalog()
    missing = sorted(f"{where}: {msgid}" for msgid, where in found.items() if msgid not in catalog)
    assert len(found) > 700
    assert missing == []


@pytest.fixture
def english_ready(app):
    """Compile the git-ignored .mo when a clean checkout lacks it (``make`` normally does) and drop cached catalogs."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        descriptor, temporary = tempfile.mkstemp(dir=MO_FILE.parent, suffix=".mo.tmp")
        with os.fdopen(descriptor, "wb") as handle:
            write_mo(handle, load_catalog())
        os.chmod(temporary, 0o644)
        os.replace(temporary, MO_FILE)
    with app.app_context():
        app.extensions["babel"].instance.domain_instance.cache.clear()
    return app


def visible_text(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


PAGES = [
    ("/", ["Bringing dormant patents to industry", "Latest patents", "Open license catalog"],
     ["让沉睡的专利走向产业", "最新专利"]),
    ("/login", ["Sign in", "Remember me", "Forgot your password?", "Register an organization"],
     ["登录", "记住我", "忘记密码"]),
    ("/search", ["Patent search", "Filing date, newest first", "No matching patents found."],
     ["专利检索", "申请日从新到旧"]),
    ("/patents", ["Title keywords", "Legal status", "Utility model", "Strategic emerging industries"],
     ["标题关键词", "法律状态", "实用新型"]),
    ("/needs", ["Technology needs", "Need title", "Equity contribution", "No matching needs"],
     ["需求名称", "作价入股", "没有符合条件的需求"]),
]


@pytest.mark.parametrize(("path", "english", "chinese"), PAGES, ids=[page[0] for page in PAGES])
def test_pages_switch_to_english(english_ready, client, path, english, chinese):
    client.get("/lang/en")
    response = client.get(path)
    assert response.status_code == 200
    assert b'<html lang="en"' in response.data
    text = visible_text(response)
    assert [phrase for phrase in english if phrase not in text] == []
    assert [phrase for phrase in chinese if phrase in text] == []
    # Only the language switch itself ("简体中文") may stay Chinese on an empty site.
    assert HAN.findall(text.replace("简体中文", "")) == []


def test_signed_in_pages_switch_to_english(english_ready, client, login, university):
    login(university)
    client.get("/lang/en")
    text = visible_text(client.get("/inventory"))
    assert "My patents" in text and "Add patent" in text and "Sign out" in text
    assert "我的专利" not in text and "退出" not in text


@pytest.mark.parametrize("path", ["/", "/login", "/patents"])
def test_chinese_is_the_default(english_ready, client, path):
    response = client.get(path)
    text = visible_text(response)
    assert b'<html lang="zh-CN"' in response.data
    assert "专利" in text
    assert "Sign in" not in text and "Patent search" not in text


def test_switching_back_to_chinese(english_ready, client):
    client.get("/lang/en")
    assert "Remember me" in visible_text(client.get("/login"))
    client.get("/lang/zh")
    text = visible_text(client.get("/login"))
    assert "记住我" in text and "Remember me" not in text


def test_vocabulary_labels_follow_the_language(app):
    """Deal modes, statuses and payment methods read in the visitor's language."""
    from flask import session

    from marketplace.deals.models import DealMode, DealStatus
    from marketplace.openlicense.terms import PaymentMethod

    with app.test_request_context():
        assert DealMode.TRANSFER.label == "转让" and PaymentMethod.LUMP_SUM.label == "一次性付费"
    with app.test_request_context():
        session["locale"] = "en"
        assert DealStatus.NEGOTIATING.label == "Negotiating" and str(PaymentMethod.LUMP_SUM.lazy_label) == "Lump sum"
