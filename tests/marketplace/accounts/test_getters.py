"""One access policy: every service getter that loads a row by id for a user goes through ``get_visible``.

Issue 11: "admin or party, else 404" was written by hand in some 34 places. This test reads every domain
module and fails on a function that takes a ``user`` and loads a row with ``db.session.get`` itself, so a
new getter that bypasses the policy is caught. The exceptions below are not getters of a visible object.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3] / "marketplace"
WEB_MODULES = {"routes", "api", "forms", "demo"}
NOT_GETTERS = {
    "accounts/permissions.py:get_visible": "the policy itself",
    "consents/services.py:decide": "tells a platform admin 403 (may not consent for a party), others 404",
    "approvals/publicity.py:resolve_objection": "the objection's notice is checked by get_review (get_visible)",
    "console/events.py:add_outcome": "ids in the input, refused as a field error (422), not a page's object",
    "openlicense/payments.py:evidence_file": "the payment's license is checked by get_license (get_visible)",
    "openlicense/payments.py:get_payment": "the payment's license is checked by get_license (get_visible)",
    "fees/ledger.py:set_reduction_status": "the user's own organisation's status, keyed by its id",
    "grading/services.py:_apply_scores": "the grade row of a patent the caller already checked, by its id",
    "patents/co_owners.py:link_co_owner": "the organisation named as co-owner, by id in the input",
    "push/services.py:email_mode": "the user's own preference, keyed by the user's id",
    "push/services.py:set_email_mode": "the user's own preference, keyed by the user's id",
    "saved/services.py:get_saved": "the user's own saved search, keyed by the user's id (not an organisation's)",
}


def direct_loads(root: Path = ROOT) -> set[str]:
    """``path:function`` of each domain function with a ``user`` argument that calls ``db.session.get``."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        if path.stem in WEB_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if "user" not in [a.arg for a in node.args.args + node.args.kwonlyargs]:
                continue
            if any(isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "get"
                   and ast.unparse(call.func.value) == "db.session" for call in ast.walk(node)):
                found.add(f"{path.relative_to(root).as_posix()}:{node.name}")
    return found


def test_every_getter_goes_through_get_visible():
    bypassing = sorted(direct_loads() - set(NOT_GETTERS))
    assert bypassing == [], ("these functions load a row by id for a user without accounts.permissions.get_visible "
                             f"(use it, or say here why the row is not an object the user sees): {bypassing}")


def test_the_exceptions_still_exist():
    """The list may only shrink: an entry whose function no longer loads a row itself is removed."""
    assert set(NOT_GETTERS) <= direct_loads()


def test_the_scan_sees_a_bypassing_getter(tmp_path):
    package = tmp_path / "marketplace" / "things"
    package.mkdir(parents=True)
    (package / "services.py").write_text("def get_thing(user, thing_id):\n    return db.session.get(Thing, thing_id)\n")
    (package / "routes.py").write_text("def page(user, thing_id):\n    return db.session.get(Thing, thing_id)\n")
    assert direct_loads(tmp_path / "marketplace") == {"things/services.py:get_thing"}
