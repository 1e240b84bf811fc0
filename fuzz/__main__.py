"""A bounded schemathesis run against the real app's OpenAPI document: ``python -m fuzz`` (``make fuzz``).

It builds the app on a fresh database (SQLite in a temporary folder, or
``--database-url``), seeds the demo world, and for every operation of
``/api/v1/openapi.json`` generates requests from the document itself —
schema-conforming ("positive") and deliberately wrong ("negative") ones —
sent as each demo role with a bearer token and anonymously. Every response
is checked for:

- server errors: any 5xx;
- schema violations: an undocumented status code, content type or header,
  or a body that does not match the documented schema.

The seed and the example budget are fixed, so a run is repeatable and takes
a few minutes. It prints the counts and one line per distinct failure, and
exits non-zero if either count is above zero.

    .venv/bin/python -m fuzz [--examples 5] [--seed 20261202] [--database-url postgresql://…/mkt_fuzz]
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROLES = ("university", "company", "agency", "admin", "anonymous")
DEMO_USERS = {"university": "university@demo.local", "company": "company@demo.local",
              "agency": "agency@demo.local", "admin": "admin@demo.local"}
SERVER_ERRORS = {"ServerError"}
# the response differs from what the document says: status, content type, headers, body
SCHEMA_VIOLATIONS = {"UndefinedStatusCode", "UndefinedContentType", "MissingContentType", "MalformedMediaType",
                     "MissingHeaders", "JsonSchemaError", "MalformedJson", "ContentDeserializationError",
                     "DiscriminatorMismatch", "AllowHeaderMismatch", "UnsupportedMethodResponse", "IgnoredAuth"}
# Reported, not failed on: the document cannot say that ids in a body must exist or that a deal needs a
# granted patent (RejectedPositiveData), and unknown query parameters are ignored (AcceptedNegativeData).


def build_app(database_url: str | None, workdir: Path):
    """The real app on a fresh database with the demo world and one bearer token per demo role."""
    from sqlalchemy import text

    from marketplace import create_app
    from marketplace.config import Settings
    from marketplace.extensions import db

    environ = {"MARKETPLACE_ENV": "testing", "SECRET_KEY": "fuzz", "DEMO_MODE": "true",
               "DATABASE_URL": database_url or f"sqlite:///{workdir / 'fuzz.sqlite'}",
               "ES_INDEX_PREFIX": f"fuzz{int(time.time())}"}
    app = create_app({"SETTINGS": Settings.from_env(workdir, environ), "SERVER_NAME": "localhost",
                      "PROPAGATE_EXCEPTIONS": False})
    with app.test_request_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
        from marketplace.accounts import services as accounts
        from marketplace.accounts.models import User
        from marketplace.core import transaction
        from marketplace.demo import seed
        seed()
        transaction.commit()
        tokens: dict[str, dict[str, str]] = {"anonymous": {}}
        for role, email in DEMO_USERS.items():
            user = db.session.query(User).filter_by(email=email).one()
            _token, raw = accounts.issue_api_token(user, "fuzz")
            tokens[role] = {"Authorization": f"Bearer {raw}"}
        transaction.commit()
    return app, tokens


def run(app, tokens: dict[str, dict[str, str]], examples: int, seed: int, only: str | None) -> tuple[Counter, dict]:
    """Generate and send the requests; returns (counts, {failure key: first example})."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed
    from hypothesis.errors import Unsatisfiable
    from schemathesis.core.failures import FailureGroup
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    counts: Counter = Counter()
    failures: dict[tuple[str, str, str], str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    for role in ROLES:
        headers = tokens[role]
        for operation in operations:
            if only and only not in operation.label:
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)

                def check(case, headers=headers, role=role, operation=operation, mode=mode):
                    counts["requests"] += 1
                    try:
                        response = case.call(headers=headers)
                    except Exception as error:  # schemathesis re-raises what the app raised (answered as a 500)
                        counts["status 5xx"] += 1
                        counts["server errors"] += 1
                        failures.setdefault((operation.label, "server errors", f"{type(error).__name__}: {error}"[:200]),
                                            f"{role}/{mode.value}\n      {case.as_curl_command(headers=headers)[:400]}")
                        return
                    counts[f"status {response.status_code // 100}xx"] += 1
                    try:
                        case.validate_response(response, headers=headers)
                    except FailureGroup as group:
                        for failure in group.exceptions:
                            check = type(failure).__name__
                            kind = ("server errors" if response.status_code >= 500 or check in SERVER_ERRORS
                                    else "schema violations" if check in SCHEMA_VIOLATIONS else f"other ({check})")
                            counts[kind] += 1
                            key = (operation.label, kind, failure.title)
                            failures.setdefault(key, f"{role}/{mode.value} {response.status_code}: "
                                                     f"{(failure.message or '').splitlines()[0][:300] if failure.message else ''}"
                                                     f"\n      {case.as_curl_command(headers=headers)[:400]}")

                test = fixed_seed(seed)(settings(
                    max_examples=examples, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck))(given(case=strategy)(lambda case: check(case))))
                try:
                    test()
                except Unsatisfiable:  # nothing to negate (an operation without parameters or body)
                    counts["unsatisfiable"] += 1
    return counts, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5, help="examples per operation, role and mode")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--only", default=None, help="only operations whose label contains this text")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # the app logs every 4xx/5xx it answers; the summary below says what matters
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        app, tokens = build_app(args.database_url, Path(workdir))
        counts, failures = run(app, tokens, args.examples, args.seed, args.only)
    elapsed = time.perf_counter() - started
    for (label, kind, title), example in sorted(failures.items()):
        print(f"- {kind}: {label}: {title}\n    {example}")
    print(f"fuzz: {counts['requests']} requests in {elapsed:.0f} s (seed {args.seed}, {args.examples} examples "
          f"per operation, role and mode; roles: {', '.join(ROLES)})")
    print("fuzz: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k.startswith("status")))
    print(f"fuzz: {counts['server errors']} server errors, {counts['schema violations']} schema violations"
          + "".join(f", {v} {k}" for k, v in counts.items() if k.startswith("other")))
    return 1 if counts["server errors"] or counts["schema violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
