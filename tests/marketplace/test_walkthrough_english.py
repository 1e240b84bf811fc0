"""The README walkthrough read in English: the answers to actions, not only the pages (issue 13, "Done when").

``test_i18n`` reads every GET page of each role. Here each demo role *acts*: every form its pages offer is sent
once left as rendered with its text fields emptied (a bad submission: the form comes back with its errors, or a
refusal is flashed) and once as rendered (buttons such as *accept*, *approve*, *mark read*: the success path), the
walkthrough's own steps are done with valid input, and every CSV/XLSX download is opened. Whatever comes back —
the re-rendered form, the flash on the next page, the file's header row and enum cells — must carry no Chinese
outside the user data. The Chinese side is checked the other way on a few forms: no field codes or enum values.
"""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.marketplace.english import (  # noqa: F401 (fixtures)
    HAN, ROLES, chinese_outside_data, data_strings, english_ready, linked_detail_pages,
    page_paths, visible_text)

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
INPUT = re.compile(r"<input\b([^>]*)>")
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)
OPTION = re.compile(r"<option\b([^>]*)>", re.S)
TEXTAREA = re.compile(r"<textarea\b([^>]*)>(.*?)</textarea>", re.S)
FORMACTION = re.compile(r'<button\b[^>]*\sformaction="([^"]+)"')
# Forms that end the walk itself (signing out, leaving the organisation, taking one's own role away).
LEAVES = re.compile(r"^/(logout|lang/)|/members/\d+/(remove|role)$|/tokens/\d+/revoke$")
DOWNLOAD = re.compile(r'href="([^"]*(?:\.csv|\.xlsx|/export|/download|template)[^"]*)"')
TEXT_TYPES = {"text", "search", "email", "number", "date", "url", "tel", "password", None}


def _attrs(raw: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in ATTR.findall(raw)} | {
        name: "" for name in re.findall(r"\s(checked|selected|required|multiple)(?=[\s>]|$)", raw)}


Fields = list[tuple[str, str]]


def plausible(name: str, kind: str | None) -> str:
    """What a visitor would type into an empty field of that name: enough for most forms' success path."""
    today = date.today()
    if kind == "date" or re.search(r"(_on|date|_start|until)$", name):
        return today.isoformat()
    if name.endswith("_end"):
        return today.replace(year=today.year + 2).isoformat()
    if kind == "email" or "email" in name:
        return "walker@example.com"
    for pattern, value in ((r"rate|share|percent", "5"), (r"amount|fee|price|budget|base|sales|cost|target", "1000"),
                           (r"months|installments|year|units|days|score|rank|number_of", "1"),
                           (r"phone", "010-12345678"), (r"number|reference", "WALK-2026-001")):
        if re.search(pattern, name):
            return value
    return "Walkthrough note"


def post_forms(path: str, page: str) -> list[tuple[str, Fields, Fields, Fields, Fields]]:
    """Each POST form of a page: its action (the page itself when it names none), its fields as rendered, the same
    with every text field empty, with every text field holding a word that is no number, date or address, and with
    every empty text field filled as a visitor would."""
    found = []
    for raw_attrs, body in FORM.findall(page):
        attrs = _attrs(raw_attrs)
        attrs["action"] = attrs.get("action") or path
        if attrs.get("method", "get").lower() != "post" or not attrs["action"].startswith("/"):
            continue
        rendered: Fields = []
        emptied: Fields = []
        garbled: Fields = []
        filled: Fields = []
        for raw in INPUT.findall(body):
            field = _attrs(raw)
            name, kind = field.get("name"), field.get("type")
            if not name or kind in ("submit", "button", "file") or (kind in ("checkbox", "radio") and "checked" not in field):
                continue
            rendered.append((name, field.get("value", "on" if kind == "checkbox" else "")))
            emptied.append((name, "" if kind in TEXT_TYPES else rendered[-1][1]))
            garbled.append((name, "-1x" if kind in TEXT_TYPES and kind != "password" else rendered[-1][1]))
            filled.append((name, rendered[-1][1] or (plausible(name, kind) if kind in TEXT_TYPES else "")))
        for raw, options in SELECT.findall(body):
            field = _attrs(raw)
            choices = [_attrs(option) for option in OPTION.findall(options)]
            chosen = [c for c in choices if "selected" in c] or ([] if "multiple" in field else choices[:1])
            for choice in chosen:
                rendered.append((field.get("name", ""), choice.get("value", "")))
                emptied.append(rendered[-1])
                filled.append(rendered[-1])
                garbled.append((rendered[-1][0], "bogus" if choice.get("value") else ""))
        for raw, text in TEXTAREA.findall(body):
            name = _attrs(raw).get("name", "")
            rendered.append((name, html.unescape(text).strip()))
            emptied.append((name, ""))
            garbled.append((name, "x" * 20001))
            filled.append((name, rendered[-1][1] or plausible(name, "textarea")))
        for action in [html.unescape(a) for a in FORMACTION.findall(body)] or [attrs["action"]]:  # one per button
            found.append((action, rendered, emptied, garbled, filled))
    return found


class Walk:
    """One signed-in visitor reading in English, collecting every Chinese word it meets outside the user data
    (or, with ``foreign=english_outside_data``, reading in Chinese and collecting English interface words)."""

    def __init__(self, app, client, data: list[str], foreign=chinese_outside_data, lang: str = "en"):
        self.app, self.client, self.data, self.foreign, self.lang = app, client, data, foreign, lang
        self.leaks: dict[str, list[str]] = {}
        self.errors: list[str] = []
        self.done: set[str] = set()
        self.succeeded: set[str] = set()  # the kinds of form whose answer flashed a success

    def check(self, what: str, response) -> str:
        if response.status_code >= 500:
            self.errors.append(f"{what}: {response.status_code}")
        if response.mimetype == "application/json":
            body = response.get_json(silent=True) or {}
            text = " ".join([str(body.get("message", ""))] + [str(v) for v in (body.get("fields") or {}).values()])
        else:
            text = visible_text(response)
            if response.mimetype == "text/html" and f'<html lang="{self.lang}'.encode() not in response.data:
                self.errors.append(f"{what}: not served in {self.lang}")
        if found := self.foreign(text, self.data):
            self.leaks[what] = found
        return text

    def get(self, path: str):
        response = self.client.get(path, follow_redirects=True)
        self.check(f"GET {path}", response)
        return response

    def post(self, path: str, data: Fields | dict, what: str = ""):
        if isinstance(data, dict):
            data = [(k, v) for k, values in data.items() for v in (values if isinstance(values, list) else [values])]
        self.data += [value for _name, value in data if value]  # what the visitor typed comes back as typed
        response = self.client.post(path, data=MultiDict(data), follow_redirects=True)
        if b"alert alert-success" in response.data:
            self.succeeded.add(re.sub(r"\d+", "N", path))
        self.check(f"POST {path} {what}".strip(), response)
        return response

    def download(self, path: str) -> None:
        response = self.client.get(path)
        if response.status_code != 200 or response.mimetype == "text/html":
            self.check(f"GET {path}", response)
            return
        disposition = response.headers.get("Content-Disposition", "")
        if not re.fullmatch(r'attachment; filename="[a-z0-9]+(-[a-z0-9]+)*\.(csv|xlsx)"', disposition):
            self.errors.append(f"{path}: not named as every export is ({disposition})")
        rows: list[list[str]] = []
        if response.mimetype.endswith("spreadsheetml.sheet"):
            book = load_workbook(io.BytesIO(response.data), read_only=True)
            for sheet in book.worksheets:
                rows.append([sheet.title])
                rows += [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
        elif "csv" in response.mimetype or path.endswith(".csv"):
            rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        cells = {cell.strip() for row in rows for cell in row if HAN.search(cell)}
        found = sorted(cell for cell in cells if chinese_outside_data(cell, self.data))
        if found:
            self.leaks[f"download {path}"] = found

    def crawl(self) -> tuple[list[str], set[str]]:
        """Every page of the role (as test_i18n reads them) and the download links they offer."""
        pages, downloads = [], set()
        queue, visited = page_paths(self.app), set()
        while queue:
            path = queue.pop(0)
            if path in visited:
                continue
            visited.add(path)
            response = self.client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            page = response.get_data(as_text=True)
            pages.append(path)
            downloads.update(html.unescape(href) for href in DOWNLOAD.findall(page) if not href.startswith("/static/"))
            if not re.search(r"\d", path):
                known = {re.sub(r"\d+", "N", p) for p in visited | set(queue)}
                queue += [href for href in linked_detail_pages(page) if re.sub(r"\d+", "N", href) not in known]
        return pages, downloads

    def act_on_every_form(self, pages: list[str], as_rendered: bool = True) -> int:
        """Send each kind of form emptied and garbled (bad) and as rendered; read what comes back."""
        done: set[str] = set()
        for path in pages:
            response = self.client.get(path)
            if response.status_code != 200:
                continue
            for action, rendered, emptied, garbled, filled in post_forms(path, response.get_data(as_text=True)):
                kind = re.sub(r"\d+", "N", action.split("?")[0])
                if kind in done or LEAVES.search(action.split("?")[0]):
                    continue
                done.add(kind)
                self.done.add(kind)
                if emptied != rendered:
                    self.post(action, emptied, f"(emptied, from {path})")
                if garbled != rendered:
                    self.post(action, garbled, f"(garbled, from {path})")
                if as_rendered and filled != rendered:
                    self.post(action, filled, f"(filled in, from {path})")
                if as_rendered:
                    self.post(action, rendered, f"(as rendered, from {path})")
        return len(done)

    def report(self) -> str:
        return "\n".join(f"{what}: {' '.join(words)}" for what, words in self.leaks.items())


# Words an English interface would show where a Chinese page must not: codes (``patent_numbers``, ``license_kind``),
# enum values (``exclusive``) and the form library's English defaults ("Not a valid …", "This field is required").
ENGLISH_WORD = re.compile(r"\b[A-Za-z][a-z]+(?:_[a-z]+)*\b")
# Latin words a Chinese page shows on purpose: the language switch, units, file formats, acronyms and brands.
NOT_ENGLISH_INTERFACE = {"English", "Excel", "Ctrl", "Authorization", "Bearer", "token"}


def english_outside_data(text: str, data: list[str]) -> list[str]:
    """English words of a Chinese page that no user data (in any language) contains."""
    words = {word for value in data for word in ENGLISH_WORD.findall(value)}
    return sorted({word for word in ENGLISH_WORD.findall(html.unescape(text))
                   if word not in words and word not in NOT_ENGLISH_INTERFACE})


def sign_in_english(client, email: str, password: str, lang: str = "en") -> None:
    client.get(f"/lang/{lang}")
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_acts_on_every_form_and_reads_the_answers_in_english(english_ready, client, demo_world, role):
    walk = Walk(english_ready, client, data_strings(english_ready, skip=("notifications",)))
    sign_in_english(client, ROLES[role], demo_world)
    pages, downloads = walk.crawl()
    for path in sorted(downloads):
        walk.download(path)
    acted = walk.act_on_every_form(pages)
    assert acted > 3
    assert walk.errors == []
    assert walk.leaks == {}, walk.report()


@pytest.mark.parametrize("role", ["university", "company"])
def test_chinese_answers_to_bad_forms_carry_no_english_interface_word(english_ready, client, demo_world, role):
    """The other way round: a refused form read in Chinese names fields by label and values by their labels."""
    walk = Walk(english_ready, client, data_strings(english_ready, skip=("notifications",), pattern=re.compile(r"\w")),
                foreign=english_outside_data, lang="zh-CN")
    sign_in_english(client, ROLES[role], demo_world, lang="zh")
    pages, _downloads = walk.crawl()
    assert walk.act_on_every_form(pages, as_rendered=False) > 10
    assert walk.errors == []
    assert walk.leaks == {}, walk.report()


def test_the_import_template_in_english_imports_and_explains_itself_in_english(english_ready, client, login,
                                                                              university):
    from marketplace.imports.columns import find_header

    client.get("/lang/en")
    login(university)
    book = load_workbook(io.BytesIO(client.get("/inventory/import/template.xlsx").data), read_only=True)
    patents, instructions = book.worksheets
    header_row = next(patents.iter_rows(values_only=True))
    assert header_row[:2] == ("Application number", "Title") and "Price (10,000 CNY)" in header_row
    header = find_header([(1, list(header_row))])
    assert header.missing == [] and header.ignored == []
    assert (patents.title, instructions.title) == ("Patents", "How to fill in")
    notes = [cell for row in instructions.iter_rows(values_only=True) for cell in row if cell]
    assert "Your organisation's grades: A, B, C, D" in notes
    assert [note for note in notes if HAN.search(str(note))] == []
    csv_text = client.get("/inventory/import/template.csv").data.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(csv_text))) == list(header_row)
    client.get("/lang/zh")
    chinese = client.get("/inventory/import/template.csv").data.decode("utf-8-sig")
    assert chinese.startswith("申请号,名称,专利类型")


def test_a_file_without_the_required_columns_names_them_in_english(english_ready, client, login, university):
    client.get("/lang/en")
    login(university)
    response = client.post("/inventory/import", data={"file": (io.BytesIO("Abstract,Grade\nx,A\n".encode()), "x.csv"),
                                                      "mode": "valid_only"},
                           content_type="multipart/form-data", follow_redirects=True)
    text = visible_text(response)
    assert "Application number, Title" in text
    assert chinese_outside_data(text, data_strings(english_ready)) == []


def test_signing_in_keeps_the_chosen_language_for_the_mail_written_while_away(app, client, company, university):
    """E-mail and inbox entries are rendered in ``User.locale``: the language chosen before signing in becomes it."""
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    client.get("/lang/en")
    assert client.post("/login", data={"email": company.email, "password": factories.PASSWORD}).status_code == 302
    client.post("/logout")
    client.get("/lang/zh")
    assert client.post("/login", data={"email": university.email, "password": factories.PASSWORD}).status_code == 302
    with app.app_context():
        assert db.session.get(User, company.id).locale == "en"
        assert db.session.get(User, university.id).locale == "zh"
    other = app.test_client()  # never chose: keeps whatever it had (Chinese when unset)
    other.post("/login", data={"email": company.email, "password": factories.PASSWORD})
    with app.app_context():
        assert db.session.get(User, company.id).locale == "en"


def test_the_readme_steps_with_real_input_answer_in_english(english_ready, client, demo_world):
    """Walkthrough steps 1, 2 and 4 with what their users type: each refusal names the field, each success reads
    in English, and the next pages carry no Chinese outside the user data."""
    from sqlalchemy import select

    from marketplace.accounts.models import Organisation
    from marketplace.demo import PUBLISH_ME
    from marketplace.extensions import db
    from marketplace.patents.models import Patent

    with english_ready.app_context():
        draft = db.session.scalar(select(Patent).where(Patent.application_number == PUBLISH_ME))
        owner_id, draft_id = draft.owner_id, draft.id
        published = db.session.scalar(select(Patent).where(Patent.owner_id == owner_id, Patent.state == "published",
                                                           Patent.id != draft_id).order_by(Patent.id))
        published_id, number = published.id, published.application_number
        company_id = db.session.scalar(select(Organisation.id).where(Organisation.kind == "company")
                                       .order_by(Organisation.id))
    walk = Walk(english_ready, client, data_strings(english_ready, skip=("notifications",)))

    # 1. University: publish the draft; import a list with a bad row.
    sign_in_english(client, ROLES["university"], demo_world)
    assert "success" in walk.post(f"/inventory/{draft_id}/publish", {}).get_data(as_text=True)
    rows = f"Application number,Title\n{PUBLISH_ME},Power unit\n2019101836185,Wrong check digit\n"
    response = client.post("/inventory/import", data={"file": (io.BytesIO(rows.encode()), "list.csv"),
                                                      "mode": "valid_only"},
                           content_type="multipart/form-data", follow_redirects=True)
    text = walk.check("POST /inventory/import (a bad row)", response)
    assert "Application number" in text and ">3<" in response.get_data(as_text=True).replace(" ", "")
    client.post("/logout")

    # 2. Company: a need refused then posted; contact the patentee (refused empty, then sent).
    sign_in_english(client, ROLES["company"], demo_world)
    text = walk.check("POST /needs/new (no title)", client.post("/needs/new", data={"title": "", "modes": ["gift"]}))
    assert "This field is required" in text or "Required" in text
    need = walk.post("/needs/new", {"title": "Battery recycling line", "description": "Recover lithium from cells",
                                    "modes": ["transfer"], "keywords": "lithium, recycling", "budget_max": "500000"})
    assert "Battery recycling line" in visible_text(need) and "View matching patents" in visible_text(need)
    walk.get(f"/patents/{published_id}/contact")
    text = walk.check("POST contact (empty)", client.post(f"/patents/{published_id}/contact", data={"body": ""}))
    assert "Message" in text
    thread = walk.post(f"/patents/{published_id}/contact", {"body": "We would like to license this patent."})
    assert "We would like to license this patent." in visible_text(thread) and "/threads/" in thread.request.path
    client.post("/logout")

    # 4. Agency: a deal refused (no patent numbers, an unknown one), then prepared.
    sign_in_english(client, ROLES["agency"], demo_world)
    deal = {"mode": "transfer", "license_kind": "", "seller_id": str(owner_id), "buyer_id": str(company_id),
            "amount": "300000", "contract_date": date.today().isoformat(), "status": "signed", "title": "Walk deal"}
    text = walk.check("POST /deals/new (no patents)", client.post("/deals/new", data={**deal, "patent_numbers": ""}))
    assert "Application numbers" in text or "application number" in text.lower()
    text = walk.check("POST /deals/new (unknown patent)",
                      client.post("/deals/new", data={**deal, "patent_numbers": "202410000000.0"}))
    assert "patent_numbers" not in text
    created = walk.post("/deals/new", {**deal, "patent_numbers": number})
    assert "/deals/" in created.request.path and "Walk deal" in visible_text(created)
    assert walk.errors == []
    assert walk.leaks == {}, walk.report()


@pytest.mark.parametrize("role", ["university", "company", "agency"])
def test_api_refusals_of_every_write_read_in_english(english_ready, client, demo_world, role):
    """Each write of the JSON API, sent empty and with wrong types by an English client: 4xx naming fields by label."""
    from sqlalchemy import select

    from marketplace.accounts import services as accounts
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    with english_ready.test_request_context():
        user = db.session.scalar(select(User).where(User.email == ROLES[role]))
        _token, raw = accounts.issue_api_token(user, "walk")
        db.session.commit()
    headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
    walk = Walk(english_ready, client, data_strings(english_ready, skip=("notifications",)))
    with english_ready.app_context():
        rules = [(rule.rule, method) for rule in english_ready.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
                 for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"})]
    assert len(rules) > 30
    statuses = []
    for rule, method in rules:
        path = re.sub(r"<(?:int:)?[^>]+>", "1", rule)
        for body in ({}, {"amount": "lots", "title": 7, "mode": "bogus", "date": "tomorrow", "patent_ids": "x"}):
            response = client.open(path, method=method, json=body, headers=headers)
            statuses.append(response.status_code)
            walk.check(f"{method} {path} {sorted(body)}", response)
    assert walk.errors == []
    assert any(400 <= status < 500 for status in statuses)
    assert walk.leaks == {}, walk.report()


@pytest.mark.parametrize(("language", "expected"), [("zh", "不存在"), ("en", "Not found")])
def test_the_servers_own_errors_speak_the_visitors_language(english_ready, client, language, expected):
    """werkzeug's English descriptions (404, 405) never reach a Chinese page or API client."""
    client.get(f"/lang/{language}")
    for response in (client.get("/no-such-page"), client.post("/notices"),
                     client.get("/api/v1/no-such-thing", headers={"Accept-Language": language})):
        text = response.get_json()["message"] if response.is_json else visible_text(response)
        assert "requested URL" not in text and "method is not allowed" not in text, text
    assert expected in visible_text(client.get("/no-such-page"))


def test_an_unreadable_price_is_explained_in_one_language(english_ready):
    from flask import session

    from marketplace.core.errors import ValidationFailed
    from marketplace.imports.columns import parse_price

    for locale, check in (("en", lambda text: not HAN.search(text) and "Unreadable price: lots" in text),
                          ("zh", lambda text: "价格无法识别" in text and "price" not in text)):
        with english_ready.test_request_context():
            session["locale"] = locale
            with pytest.raises(ValidationFailed) as refused:
                parse_price("lots", 1)
            assert check(refused.value.fields["price_min"]), refused.value.fields

