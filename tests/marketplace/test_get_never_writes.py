"""GET never writes: every GET route of the app, pages and API, visited as each role, sends no INSERT, UPDATE or
DELETE to the database (issue 11: match lists stored a row per pair, console reads refreshed the rollup).

The routes are enumerated from the app's URL map, so a new GET route is covered without being listed here; its
path arguments are filled with the ids of the rows seeded below (a route whose row does not exist still must not
write on its way to the 404).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import has_request_context, request
from sqlalchemy import event

from marketplace.extensions import db
from marketplace.search import services as search
from tests import factories

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)

# Bookkeeping of the authentication itself, not of the page: a token's "last used" stamp (at most once a minute).
AUTHENTICATION = re.compile(r"^\s*UPDATE api_tokens SET last_used_at=", re.IGNORECASE)
SKIPPED = {"static", "api-docs.openapi_swagger_ui", "health.healthz"}  # no database; documentation; probes


@contextmanager
def writes_during_get(engine) -> Iterator[list[tuple[str, str]]]:
    """Collect (endpoint, statement) for every write sent while a GET or HEAD request is handled."""
    seen: list[tuple[str, str]] = []

    def check(_conn, _cursor, statement, _parameters, _context, _executemany):
        if has_request_context() and request.method in ("GET", "HEAD") and WRITE.match(statement) \
                and not AUTHENTICATION.match(statement):
            seen.append((request.endpoint or request.path, statement.split("\n")[0][:120]))

    event.listen(engine, "before_cursor_execute", check)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", check)


@pytest.fixture
def seeded(app, university, company, agency, platform_admin):
    """A published patent, two public needs that fit it (one stored as a match with it, one never acted on),
    by the names of the route arguments: the routes show the pair nobody acted on."""
    with app.app_context():
        record = factories.load_fixture("battery_patents.jsonl")[2]
        patent = factories.make_patent(university, record, segments=["TM-F1"], grade="A", publish=True,
                                       legal_status="granted")
        need_id = factories.make_need(company, title="插秧机锂电池动力系统", segments=["TM-F1"],
                                      description="用锂离子电池替代柴油机为插秧机提供动力", modes=["license"])
        saved_need_id = factories.make_need(company, title="锂电池插秧机", segments=["TM-F1"],
                                            description="插秧机的锂离子电池动力装置", modes=["license"])
    with app.test_request_context():
        from marketplace.core import transaction
        match = search.save_match(company.load(), saved_need_id, patent.id)
        transaction.commit()
        match_id = match.id
    return {"patent_id": patent.id, "need_id": need_id, "match_id": match_id}


def get_routes(app) -> list[tuple[str, str]]:
    """(endpoint, rule) of every GET route."""
    return sorted((rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
                  if "GET" in (rule.methods or ()) and rule.endpoint not in SKIPPED)


def url_for_rule(app, endpoint: str, ids: dict[str, int]) -> str:
    rule = next(r for r in app.url_map.iter_rules(endpoint) if "GET" in (r.methods or ()))
    values: dict[str, object] = {}
    for name in rule.arguments:
        if name in ids:
            values[name] = ids[name]
        elif name == "fmt":
            values[name] = "csv"
        elif name in ("token", "code"):
            values[name] = "zh" if name == "code" else "unknown-token"
        else:
            values[name] = 1
    with app.test_request_context():
        from flask import url_for
        return url_for(endpoint, **values)


def test_the_guard_sees_a_write_during_a_get(app, client):
    """The guard is not vacuous: a GET route that writes is caught with its endpoint."""
    from sqlalchemy import text

    def writing_view():
        db.session.execute(text("UPDATE users SET email = email WHERE id = -1"))
        return "ok"

    app.view_functions["home.index"], original = writing_view, app.view_functions["home.index"]
    try:
        with writes_during_get(_engine(app)) as seen:
            client.get("/")
    finally:
        app.view_functions["home.index"] = original
    assert seen and seen[0][0] == "home.index" and seen[0][1].startswith("UPDATE users")


def _engine(app):
    with app.app_context():
        return db.engine


@pytest.mark.parametrize("role", ["anonymous", "university", "company", "agency", "platform_admin"])
def test_no_get_route_writes(app, client, login, token_for, seeded, role, request):
    headers = {}
    if role != "anonymous":
        login(request.getfixturevalue(role))
        headers = token_for(request.getfixturevalue(role))
    with writes_during_get(_engine(app)) as seen:
        for endpoint, _rule in get_routes(app):
            url = url_for_rule(app, endpoint, seeded)
            response = client.get(url, headers=headers if url.startswith("/api/") else {})
            assert response.status_code < 500, (url, response.status_code, response.data[:300])
    offending = sorted(set(seen))
    assert offending == [], "GET routes that write:\n" + "\n".join(f"  {e}: {s}" for e, s in offending)
