"""Reading the site in English: the catalog, what a page shows once the user data is taken out, the demo's roles.

Shared by the i18n tests (GET pages per role) and the English walkthrough (the answers to actions).
"""
from __future__ import annotations

import html
import os
import re
import tempfile
from pathlib import Path

import pytest
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
    # Machine-made strings (a new API token, its prefix) are marked translate="no": random letters, in no language.
    html = re.sub(r"<(\w+)\b[^>]*\btranslate=\"no\"[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Routes that are not pages a visitor reads (downloads, switches, machine endpoints).
NOT_PAGES = ("/api/", "/static/", "/lang/", "/logout", "/healthz", "/favicon")
CJK_TEXT = re.compile(r"\S*[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]+\S*")
# Pages every signed-in role has, which the crawl below must reach (new pages of each role go here).
ROLE_PAGES = ("/home", "/saved-searches")
ROLES = {"university": "university@demo.local", "company": "company@demo.local", "agency": "agency@demo.local",
         "bank": "bank@demo.local", "admin": "admin@demo.local"}


def data_strings(app, skip: tuple[str, ...] = (), pattern: re.Pattern[str] = HAN) -> list[str]:
    """Every string stored in the database (organisation names, patent titles, notifications…): user data;
    ``skip`` names tables whose strings are not (notifications are texts of the platform, rendered when read);
    only the strings ``pattern`` finds something in are kept (by default those with Chinese characters)."""
    from sqlalchemy import JSON, String, Text, select

    from marketplace.extensions import db

    found: set[str] = set()

    def collect(value: object) -> None:
        if isinstance(value, str):
            found.add(value.strip())
            found.update(part.strip() for part in re.split(r"[;\n]", value))
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)

    with app.app_context():
        for table in [t for t in db.metadata.sorted_tables if t.name not in skip]:
            for column in [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]:
                for value in db.session.execute(select(column).where(column.is_not(None))).scalars():
                    collect(value)
    return sorted((s for s in found if pattern.search(s)), key=len, reverse=True)


def chinese_outside_data(text: str, data: list[str]) -> list[str]:
    """Words with Chinese characters or punctuation left once the user data is taken out.

    Search shows excerpts of abstracts (cut with "…" or split by highlighting): a Chinese word that
    is part of a stored string is data too.
    """
    text = html.unescape(text)
    for value in data:
        text = text.replace(value, " ")
    text = text.replace("简体中文", " ")  # the language switch names itself
    leaks = set()
    for word in CJK_TEXT.findall(text):
        core = word.strip("…. ")
        if HAN.search(core) and any(core in value for value in data):
            continue
        leaks.add(word)
    return sorted(leaks)


def page_paths(app) -> list[str]:
    with app.app_context():
        rules = [rule for rule in app.url_map.iter_rules()
                 if "GET" in (rule.methods or ()) and not rule.arguments and not rule.rule.startswith(NOT_PAGES)]
    return sorted({rule.rule for rule in rules})


def linked_detail_pages(html: str) -> list[str]:
    """Links to one object's page (``/deals/12``, ``/matches/3``), one per kind of page."""
    seen: dict[str, str] = {}
    for href in re.findall(r'href="(/[^"?#]*\d[^"?#]*)"', html):
        if href.startswith(NOT_PAGES) or "/download" in href or "/export" in href:
            continue
        seen.setdefault(re.sub(r"\d+", "N", href), href)
    return list(seen.values())
