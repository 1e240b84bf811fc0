"""How fast is the public patent list at 100,000 patents? p50/p95 per request.

Builds the patents from the real records in ../shared/data/patents by
recombination: every title of both files (26,000) is used, title-only records
borrow an abstract from a record of the same IPC section, and the titles are
cycled with fresh, check-digit-valid application numbers (real numbers are
kept where the record has one) until the target count is reached. Owners are
the applicants named in the data. Grades, legal status, segments (derived from
the IPC), modes, maturity and prices are drawn with a fixed seed. Rows go in
with SQLAlchemy core in batches, then the database gathers statistics.

It then requests ``/patents`` through the Flask test client with a dozen
filter combinations (segment parents, grade, type, status, owner, title
words, sort orders, deep pages), one warm-up round and ``--rounds`` timed
rounds, and prints p50/p95 of the in-process request time (routing, queries,
template; no network) overall and per combination, with the SQL statements
each request sent. It also prints the CPU time this process spent per
request: on a busy machine the wall time includes waiting for a CPU (with
SQLite the queries run in-process and are part of that CPU time; a
PostgreSQL server's work is not).

    .venv/bin/python bench/list_page.py [--patents 100000] [--rounds 20]
        [--database-url postgresql://marketplace:marketplace@127.0.0.1/mt_patents]

Without ``--database-url`` it uses a fresh SQLite file; with it, the public
schema of that PostgreSQL database is emptied first (use a database of your own).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, text  # noqa: E402

DATA = next((d for d in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data") if d.is_dir()),
            ROOT.parent / "shared" / "data") / "patents"  # beside the checkout, or beside a worktree's parent
FILES = ("cn_patents_with_abstract.jsonl", "cn_patents_title_only.jsonl")
BATCH = 5000
# First matching IPC prefix wins; a patent gets one or two of the listed segments.
SEGMENTS_BY_IPC = [
    ("A01B", ["TM-H11"]), ("A01C", ["TM-H2", "TM-H11"]), ("A01D", ["TM-H11"]), ("A01F", ["TM-H11", "TM-H10"]),
    ("A01G", ["TM-H5", "TM-H2"]), ("A01H", ["TM-H1"]), ("A01J", ["TM-H10"]), ("A01K", ["TM-H7", "TM-H8"]),
    ("A01M", ["TM-H4"]), ("A01N", ["TM-C2"]), ("A01P", ["TM-C2"]), ("A23", ["TM-H10"]), ("A61", ["TM-C1", "PII-5"]),
    ("B64", ["SEI-02"]), ("B", ["TM-E1", "PII-3"]), ("C", ["TM-D7", "SEI-03"]), ("E01", ["TM-E1"]),
    ("E", ["PII-3", "TM-E5"]), ("F", ["TM-E5", "TM-F2"]), ("G06", ["TM-A2", "SEI-01"]), ("G", ["TM-A6", "PII-1"]),
    ("H01M", ["SEI-06", "TM-F1"]), ("H04", ["TM-A3", "SEI-01"]), ("H", ["TM-A6", "PII-1"]), ("D", ["TM-D6"]),
    ("A", ["TM-Z"]),
]
COMBINATIONS = [
    "/patents",
    "/patents?page=3",
    "/patents?page=200",
    "/patents?sort=application_date",
    "/patents?sort=grade&grade=A",
    "/patents?segment=TM-H",
    "/patents?segment=TM-A2&sort=application_date",
    "/patents?patent_type=utility_model&legal_status=granted",
    "/patents?grade=B&segment=TM-E&page=2",
    "/patents?owner={owner}",
    "/patents?q=装置",
    "/patents?q=无人机",
]


def load_records() -> list[dict]:
    records: list[dict] = []
    for name in FILES:
        with (DATA / name).open(encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle if line.strip())
    return records


def make_app(database_url: str | None, workdir: Path, **settings: str):
    """A fresh app on an empty database (``settings``: more environment, e.g. ``DEMO_MODE="true"``)."""
    from marketplace import create_app
    from marketplace.config import Settings
    from marketplace.extensions import db

    environ = {"MARKETPLACE_ENV": "testing", "SECRET_KEY": "bench",
               "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite'}", **settings}
    app = create_app({"SETTINGS": Settings.from_env(workdir, environ), "TESTING": True})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
    return app


def organisation_rows(records: list[dict], rng: random.Random) -> list[dict]:
    """One organisation per applicant named in the data; the kind follows from the name."""
    from marketplace.accounts.identifiers import CREDIT_CODE_CHARSET, credit_code_check
    from marketplace.accounts.models import OrganisationKind

    names = sorted({r["applicant"].split(";")[0].strip() for r in records if r.get("applicant")})
    rows = []
    for index, name in enumerate(names, start=1):
        if "大学" in name or "学院" in name:
            kind = OrganisationKind.UNIVERSITY
        elif any(word in name for word in ("研究院", "研究所", "科学院", "研究中心")):
            kind = OrganisationKind.INSTITUTE
        else:
            kind = OrganisationKind.COMPANY
        body = "91" + f"{110000 + index % 800000:06d}" + "".join(
            CREDIT_CODE_CHARSET[(index // 31 ** i) % 31] for i in range(9))
        rows.append({"id": index, "kind": kind, "name": name[:200], "credit_code": body + credit_code_check(body),
                     "region_code": rng.choice(["110108", "310104", "440106", "520100", "420111"]),
                     "grade_labels": ["A", "B", "C", "D"], "grade_criteria": {}, "is_sme": kind == OrganisationKind.COMPANY})
    return rows


def patent_rows(records: list[dict], organisations: list[dict], wanted: int, rng: random.Random):
    """Yield (patent row, segment codes) until ``wanted`` patents exist."""
    from marketplace.core.errors import ValidationFailed
    from marketplace.patents.numbers import check_character, normalise_application_number, normalise_ipc
    from marketplace.patents.vocab import LegalStatus, Maturity, PatentType, PublicationState, TransformationMode

    abstracts: dict[str, list[str]] = {}
    for record in records:
        if record.get("abstract"):
            abstracts.setdefault((record.get("ipc_sections") or ["A"])[0], []).append(record["abstract"])
    owner_by_name = {o["name"]: o["id"] for o in organisations}
    ipc_cache: dict[str, str | None] = {}

    def ipc(code: str) -> str | None:
        if code not in ipc_cache:
            try:
                ipc_cache[code] = normalise_ipc(code)
            except ValidationFailed:
                ipc_cache[code] = None
        return ipc_cache[code]

    real: dict[int, str] = {}
    for position, record in enumerate(records):
        try:
            real[position] = normalise_application_number(record.get("app_no") or "")
        except ValidationFailed:
            continue
    used = set(real.values())  # generated numbers must not take a real one a later row will use
    statuses = [LegalStatus.GRANTED] * 50 + [LegalStatus.PENDING] * 35 + [LegalStatus.FEE_OVERDUE] * 5 + [
        LegalStatus.TERMINATED, LegalStatus.EXPIRED] * 5
    now = datetime(2025, 6, 1)
    for index in range(wanted):
        record = records[index % len(records)]
        year = 2005 + index % 19
        number = real.pop(index, None) if index < len(records) else None
        serial = index
        type_digit = rng.choices("123", weights=[55, 40, 5])[0]
        while number is None:
            digits = f"{year}{type_digit}{serial:07d}"
            number = f"{digits}.{check_character(digits)}"
            if number in used:
                number, serial = None, serial + 1
        used.add(number)
        section = (record.get("ipc_sections") or ["A"])[0]
        codes = [c for c in (ipc(code) for code in (record.get("ipc") or [])) if c]
        main = ipc(record["ipc_main"]) if record.get("ipc_main") else (codes[0] if codes else None)
        subclass = (main or (record.get("ipc") or [section])[0]).replace(" ", "")
        segments = next((s for prefix, s in SEGMENTS_BY_IPC if subclass.startswith(prefix)), ["TM-Z"])
        status = rng.choice(statuses)
        lapsed = status in (LegalStatus.TERMINATED, LegalStatus.EXPIRED)
        published = not lapsed and rng.random() < 0.9
        low = Decimal(rng.randrange(1, 500) * 10000) if rng.random() < 0.7 else None
        applicant = (record.get("applicant") or "").split(";")[0].strip()
        digits_type = number.split(".")[0]
        yield {
            "id": index + 1, "application_number": number, "publication_numbers": [record["pub_no"]] if record.get("pub_no") else [],
            "patent_type": {"1": PatentType.INVENTION, "2": PatentType.UTILITY_MODEL, "3": PatentType.DESIGN}.get(
                digits_type[4] if len(digits_type) == 12 else "1", PatentType.INVENTION),
            "title": record["title"][:500],
            "abstract": record.get("abstract") or rng.choice(abstracts.get(section) or abstracts["A"]),
            "first_claim": (record.get("extra") or {}).get("主权项", ""), "ipc_main": main, "ipc_codes": codes,
            "owner_id": owner_by_name.get(applicant) or organisations[index % len(organisations)]["id"],
            "co_owners": [], "inventors": [], "application_date": date(year, 1, 1) + timedelta(days=rng.randrange(365)),
            "publication_date": None, "grant_date": None, "legal_status": status, "proceedings_suspended": False,
            "evaluation_report": None, "grade": rng.choices(["A", "B", "C", "D", None], weights=[15, 30, 30, 10, 15])[0],
            "tags": [], "modes": rng.sample([m.value for m in TransformationMode], rng.randint(0, 2)),
            "maturity": rng.choice([None, *Maturity]), "price_min": low,
            "price_max": low * rng.choice([1, 2, 3]) if low is not None else None,
            "state": PublicationState.PUBLISHED if published else PublicationState.DRAFT,
            "published_at": now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60)) if published else None,
            "source": f"bench:{record['source_repo']}:{record['source_path']}#{record['source_row']}"[:300],
            "created_at": now, "updated_at": now,
        }, rng.sample(segments, rng.randint(1, len(segments)))


def build(app, wanted: int, seed: int) -> dict[str, object]:
    from marketplace.accounts.models import Organisation
    from marketplace.extensions import db
    from marketplace.patents.models import Patent, PatentSegment

    rng = random.Random(seed)
    records = load_records()
    started = time.perf_counter()
    with app.app_context():
        organisations = organisation_rows(records, rng)
        db.session.execute(insert(Organisation.__table__), organisations)
        patents, links = [], []
        for row, segments in patent_rows(records, organisations, wanted, rng):
            patents.append(row)
            links.extend({"patent_id": row["id"], "segment_code": code} for code in segments)
            if len(patents) == BATCH:
                db.session.execute(insert(Patent.__table__), patents)
                patents = []
        if patents:
            db.session.execute(insert(Patent.__table__), patents)
        for start in range(0, len(links), BATCH * 2):
            db.session.execute(insert(PatentSegment.__table__), links[start:start + BATCH * 2])
        if db.engine.dialect.name == "postgresql":
            for table in ("organisations", "patents"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        busiest = db.session.execute(text(
            "SELECT owner_id, count(*) AS n FROM patents WHERE state = 'published' "
            "GROUP BY owner_id ORDER BY n DESC LIMIT 1")).first()
        published = db.session.scalar(text("SELECT count(*) FROM patents WHERE state = 'published'"))
        return {"organisations": len(organisations), "links": len(links), "seconds": time.perf_counter() - started,
                "busiest_owner": busiest.owner_id, "published": published, "dialect": db.engine.dialect.name}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(app, urls: list[str], rounds: int, client=None) -> dict[str, tuple[list[float], list[float], int]]:
    """Per URL: wall and CPU durations (ms) and the SQL statements one request sends (``client``: signed in)."""
    from marketplace.extensions import db

    client = client or app.test_client()
    with app.app_context():
        engine = db.engine
    statements = {"n": 0}

    def count(*_args):
        statements["n"] += 1

    results: dict[str, tuple[list[float], list[float], int]] = {}
    for url in urls:  # warm-up: templates compiled, connections pooled, caches filled
        assert client.get(url).status_code == 200, url
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(rounds):
            for url in urls:
                statements["n"] = 0
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                assert response.status_code == 200, url
                durations, cpu_times, _n = results.get(url, ([], [], 0))
                durations.append(elapsed * 1000)
                cpu_times.append(cpu * 1000)
                results[url] = (durations, cpu_times, statements["n"])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL URL (its public schema is emptied); default: SQLite temp file")
    parser.add_argument("--patents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20, help=f"timed rounds of the {len(COMBINATIONS)} combinations")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-list-") as workdir:
        app = make_app(args.database_url, Path(workdir))
        built = build(app, args.patents, args.seed)
        print(f"{built['dialect']}: {args.patents:,} patents ({built['published']:,} published), "
              f"{built['organisations']:,} organisations, {built['links']:,} segment links "
              f"built in {built['seconds']:.1f} s")
        urls = [url.format(owner=built["busiest_owner"]) for url in COMBINATIONS]
        results = measure(app, urls, args.rounds)
        walls = [d for durations, _cpu, _n in results.values() for d in durations]
        cpus = [d for _wall, cpu_times, _n in results.values() for d in cpu_times]
        print(f"{'request':<56} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu p50':>8} {'cpu p95':>8} {'SQL':>4}")
        for url, (durations, cpu_times, statements) in results.items():
            print(f"{url:<56} {statistics.median(durations):7.1f} {percentile(durations, 0.95):7.1f} "
                  f"{max(durations):7.1f} {statistics.median(cpu_times):8.1f} {percentile(cpu_times, 0.95):8.1f} "
                  f"{statements:4d}")
        print(f"{'ALL (' + str(len(walls)) + ' requests)':<56} {statistics.median(walls):7.1f} "
              f"{percentile(walls, 0.95):7.1f} {max(walls):7.1f} {statistics.median(cpus):8.1f} "
              f"{percentile(cpus, 0.95):8.1f}")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
