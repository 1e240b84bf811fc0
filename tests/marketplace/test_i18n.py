"""The English catalog: complete, placeholder-safe, in step with the sources, and really served.

Source strings are Chinese; English is the ``/lang/en`` toggle. A missing or
broken translation shows up as Chinese (or a formatting crash) on an English
page, so these tests check the catalog itself and what visitors see.
"""
from __future__ import annotations

import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from tests import factories
from tests.marketplace.english import (  # noqa: F401 (fixtures, imported by other modules from here too)
    HAN, PLACEHOLDER, ROLE_PAGES, ROLES, ROOT, chinese_outside_data, data_strings, english_ready,
    linked_detail_pages, load_catalog, page_paths, visible_text)


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
    ("/notices", ["Transfer notices", "No notices", "All notices"], ["成果转化公示", "暂无公示"]),
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
    for path, phrases in (("/office/grading", ["Grading criteria", "Legal", "Batch scoring and grading"]),
                          ("/office/grading/sheet", ["Suggested grade", "As suggested"]),
                          ("/office/approvals", ["Internal approval", "Awaiting my approval", "Approval roles"])):
        text = visible_text(client.get(path))
        assert [phrase for phrase in phrases if phrase not in text] == [], path
        assert HAN.findall(text.replace("简体中文", "").replace("测试大学", "")) == [], path


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


# --- One language per page: every role's pages and the API's errors in English carry no Chinese. ---

@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_of_each_role_reads_in_english_only(english_ready, client, demo_world, role):
    client.get("/lang/en")
    response = client.post("/login", data={"email": ROLES[role], "password": demo_world})
    assert response.status_code == 302
    data = data_strings(english_ready)
    leaks: dict[str, list[str]] = {}
    queue, visited = page_paths(english_ready), set()
    while queue:
        path = queue.pop(0)
        if path in visited:
            continue
        visited.add(path)
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        assert b'<html lang="en"' in response.data, path
        if found := chinese_outside_data(visible_text(response), data):
            leaks[path] = found
        if not re.search(r"\d", path):
            known = {re.sub(r"\d+", "N", p) for p in visited | set(queue)}
            queue += [href for href in linked_detail_pages(response.get_data(as_text=True))
                      if re.sub(r"\d+", "N", href) not in known]
    assert len(visited) > 20
    assert [page for page in ROLE_PAGES if page not in visited] == []
    assert leaks == {}, "\n".join(f"{path}: {' '.join(words)}" for path, words in leaks.items())


def _error_text(response) -> str:
    body = response.get_json(silent=True)
    if body is None:
        return visible_text(response)
    return " ".join([str(body.get("message", ""))] + [str(v) for v in (body.get("fields") or {}).values()])


def test_api_errors_speak_the_language_the_client_asks_for(english_ready, client, university, company, bank,
                                                            token_for):
    """Refusals name the problem in English only (no "中文 / English" pairs, no Chinese punctuation)."""
    with english_ready.app_context():
        patent = factories.make_granted_patent(university)
    english = {"Accept-Language": "en-US,en;q=0.9"}
    requests = [
        ("get", "/api/v1/patents?mine=true", {}, None, 401),
        ("get", "/api/v1/patents/999999", {}, None, 404),
        ("post", "/api/v1/needs", token_for(bank), {"title": "x"}, 403),
        ("post", "/api/v1/needs", token_for(company), {"title": "", "keywords": ["k"] * 40, "modes": ["gift"]}, 422),
        ("post", "/api/v1/subscriptions", token_for(university), {"segments": [], "min_grade": "Z"}, 422),
        ("post", "/api/v1/patents", token_for(university), {"application_number": "2023", "title": "t",
                                                            "ipc_codes": ["XX"], "patent_type": "bogus"}, 422),
        ("post", f"/api/v1/patents/{patent.id}/open-license", token_for(university),
         {**factories.open_license_terms(payment_method="sales_royalty", royalty_rate="35", term_end="2027-01-01"),
          "fixed_fee": "0"}, 422),
        ("post", f"/api/v1/patents/{patent.id}/open-license", token_for(university),
         factories.open_license_terms(payment_method="gift", trial_months="99"), 422),
    ]
    data = data_strings(english_ready)
    leaks, statuses = {}, []
    for method, path, headers, body, status in requests:
        response = getattr(client, method)(path, headers={**english, **headers}, json=body)
        statuses.append(response.status_code)
        text = _error_text(response)
        assert text.strip(), path
        if found := chinese_outside_data(text, data):
            leaks[f"{method} {path}"] = (text, found)
    assert statuses == [status for *_rest, status in requests]
    assert leaks == {}
    # Without asking for English the same refusal is Chinese.
    response = client.get("/api/v1/patents?mine=true")
    assert HAN.search(response.get_json()["message"]) and " / " not in response.get_json()["message"]


def test_web_errors_follow_the_visitor_language(english_ready, client, login, university, bank):
    client.get("/lang/en")
    response = client.post("/login", data={"email": university.email, "password": "wrong password"})
    assert chinese_outside_data(visible_text(response), []) == []
    login(bank)
    client.get("/lang/en")
    for path in ("/inventory/new", "/no-such-page", "/deals/999999"):
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert chinese_outside_data(visible_text(response), data_strings(english_ready)) == [], path


def test_the_site_has_an_icon(client):
    assert b'rel="icon"' in client.get("/login").data
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    icon.close()


def test_a_long_organisation_name_is_cut_in_the_header_with_the_full_name_in_its_tooltip(client, login, app):
    with app.app_context():
        user = factories.make_user("company", org_name="Guizhou Qianneng New Energy Technology Company Limited (demo)")
    login(user)
    html = client.get("/needs/mine").get_data(as_text=True)
    assert re.search(r'title="[^"]*Guizhou Qianneng New Energy Technology Company Limited \(demo\)"><span class="nav-account">', html)
    css = (ROOT / "static" / "css" / "app.css").read_text()
    assert re.search(r"\.nav-account \{[^}]*text-overflow: ellipsis", css)


def test_a_refused_form_names_the_field_by_its_label_not_its_internal_name(english_ready, client, login, company):
    client.get("/lang/en")
    login(company)
    response = client.post("/needs/new", data={"title": "Battery recycling line", "description": "d",
                                               "segments": ["TM-E"], "modes": ["transfer"],
                                               "keywords": ",".join(f"word{n}" for n in range(40))},
                           follow_redirects=True)
    text = visible_text(response)
    assert "Keywords: At most" in text
    assert "keywords:" not in text


def test_a_saved_search_with_its_filters_reads_in_english(english_ready, client, login, company, token_for):
    created = client.post("/api/v1/saved-searches", headers=token_for(company),
                          json={"name": "电池", "q": "锂电池", "filters": {"segment": ["TM-F1"], "patent_type": ["invention"],
                                                                       "open_license": ["true"], "sort": ["grade"]}})
    assert created.status_code == 201
    client.get("/lang/en")
    login(company)
    text = visible_text(client.get("/saved-searches"))
    assert "Saved searches" in text and "Invention" in text and "Show results" in text
    assert chinese_outside_data(text, data_strings(english_ready)) == []
    assert "Save this search" in visible_text(client.get("/search?q=battery"))
