"""How fast are the agency console's dashboard queries on a million deals? p50/p95 per query, on PostgreSQL.

Fills a database of your own (its public schema is dropped first) by COPY
with a synthetic ledger — ``--deals`` deals (default 1,000,000) over five
years, a tenth as many open licenses obtained (most fixed fees paid, some in
part, some not) and a twentieth as many pledges, brokered by 40 agencies of
very different sizes (a fifth of the deals without one), between 300
universities and institutes and 5,000 companies, each agency authorised by a
number of organisations in proportion to its size (some relationships since
revoked) — builds the monthly rollup, vacuums (index-only scans need it), then times every query the dashboard
runs: platform-wide (rollup for whole months, the ledger for partial ones)
and for the largest, a middle and the smallest agency (live, indexed).

    .venv/bin/python bench/stats.py --database-url postgresql://…/mt_console [--deals 1000000] [--runs 20]

The rows are synthetic (random but seeded); only the sizes and shapes matter here.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

AGENCIES, ACADEMIC, COMPANIES, BANKS = 40, 300, 5000, 20
SEGMENTS_PER_PATENT = (1, 2)
START = date(2021, 1, 1)


def build_app(database_url: str):
    from marketplace import create_app
    from marketplace.config import Settings
    instance = Path(tempfile.mkdtemp())
    settings = Settings.from_env(instance, {"MARKETPLACE_ENV": "testing", "SECRET_KEY": "bench",
                                            "DATABASE_URL": database_url})
    return create_app({"SETTINGS": settings})


def _default(column):
    """A value for a NOT NULL column the generator does not set: the model's own default, else empty."""
    if column.default is not None:
        return column.default.arg(None) if callable(column.default.arg) else column.default.arg
    return {"JSON": [], "VARCHAR": "", "TEXT": "", "BOOLEAN": False}.get(type(column.type).__name__.upper(), "")


def copy_rows(connection, table, rows: list[dict]) -> None:
    """COPY rows into ``table``, filling every other NOT NULL column with its model default."""
    given = list(rows[0])
    extra = [c for c in table.columns if not c.nullable and c.name not in given and not c.primary_key]
    defaults = {c.name: _default(c) for c in extra}
    columns = given + [c.name for c in extra]
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                values = [row[name] if name in row else defaults[name] for name in columns]
                copy.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else
                                (v() if callable(v) else v) for v in values])


def fill(app, deals: int, seed: int = 7) -> dict[str, object]:
    from marketplace.accounts.models import Organisation
    from marketplace.agencies.models import AgencyPermissionPeriod, AgencyRelationship
    from marketplace.deals.models import Deal, DealPatent
    from marketplace.extensions import db
    from marketplace.openlicense.models import (
        LicenseGrant, LicensePayment, OpenLicenseDeclaration, PaymentInstallment,
    )
    from marketplace.patents.models import Patent, PatentSegment
    from marketplace.pledges.models import Pledge, PledgePatent

    rng = random.Random(seed)
    today = date.today()
    span = (today - START).days
    now = datetime.now()
    segment_codes = [s.code for s in app.extensions["taxonomy"]][:80]
    regions = ["520100", "522700", "510100", "500100", "440300", "110000", "310000", "610100", "330100", "320500"]
    orgs: list[dict] = []
    kinds = (["agency"] * AGENCIES + ["university"] * (ACADEMIC * 2 // 3) + ["institute"] * (ACADEMIC // 3)
             + ["company"] * COMPANIES + ["bank"] * BANKS)
    for index, kind in enumerate(kinds, start=1):
        orgs.append({"id": index, "kind": kind, "name": f"{kind}-{index}", "credit_code": f"BENCH{index:013d}",
                     "region_code": rng.choice(regions), "is_sme": kind == "company" and rng.random() < 0.4,
                     "created_at": now, "updated_at": now})
    ids = {k: [o["id"] for o in orgs if o["kind"] == k] for k in set(kinds)}
    holders = ids["university"] + ids["institute"] + ids["company"][:500]
    weights = [1 / (rank + 1) for rank in range(AGENCIES)]  # a few large agencies, many small ones

    patents_count = max(1000, deals // 5)
    patents = [{"id": i, "application_number": f"2020{i:08d}.0", "patent_type": "invention", "title": f"专利 {i}",
                "owner_id": rng.choice(holders), "legal_status": "granted", "state": "published",
                "created_at": now, "updated_at": now} for i in range(1, patents_count + 1)]
    segments = [{"patent_id": p["id"], "segment_code": code} for p in patents
                for code in rng.sample(segment_codes, rng.choice(SEGMENTS_PER_PATENT))]
    deal_rows, links = [], []
    for i in range(1, deals + 1):
        mode = rng.choices(["license", "transfer", "equity"], [6, 3, 1])[0]
        deal_rows.append({
            "id": i, "title": f"交易 {i}", "mode": mode, "license_kind": "ordinary" if mode == "license" else None,
            "status": rng.choices(["signed", "recorded", "completed", "negotiating", "cancelled"], [4, 3, 2, 1, 0.5])[0],
            "seller_id": rng.choice(holders), "buyer_id": rng.choice(ids["company"]),
            "agency_id": rng.choices(ids["agency"], weights)[0] if rng.random() < 0.8 else None,
            "amount": f"{rng.randint(0, 500_000_000) / 100:.2f}", "contract_date": START + timedelta(days=rng.randrange(span)),
            "notes": "", "created_at": now, "updated_at": now})
        for patent_id in rng.sample(range(1, patents_count + 1), rng.choice((1, 1, 1, 2))):
            links.append({"deal_id": i, "patent_id": patent_id})
    declarations = [{"id": i, "patent_id": i, "owner_id": patents[i - 1]["owner_id"], "status": "published",
                     "payment_method": "lump_sum", "term_start": START, "term_end": date(2040, 1, 1),
                     "created_at": now, "updated_at": now} for i in range(1, min(patents_count, deals // 20) + 1)]
    grants, seen = [], set()
    while len(grants) < deals // 10:
        declaration = rng.choice(declarations)
        licensee = rng.choice(ids["company"])
        if (declaration["id"], licensee) in seen:
            continue
        seen.add((declaration["id"], licensee))
        fee = rng.choice(["fixed", "royalty", "free"])
        day = START + timedelta(days=rng.randrange(span))
        grants.append({"id": len(grants) + 1, "declaration_id": declaration["id"], "patent_id": declaration["patent_id"],
                       "licensor_id": declaration["owner_id"], "licensee_id": licensee, "fee_type": fee,
                       "fixed_fee": "0.00" if fee == "free" else f"{rng.randint(100_000, 5_000_000) / 100:.2f}",
                       "notice_date": day, "noticed_at": now, "effective_on": day if rng.random() < 0.9 else None,
                       "term_end": date(2040, 1, 1), "created_at": now, "updated_at": now})
    installments, payments = [], []
    for grant in grants:
        if grant["fee_type"] != "fixed":
            continue
        installments.append({"id": len(installments) + 1, "license_id": grant["id"], "sequence": 1, "kind": "fee",
                             "due_date": grant["notice_date"], "amount": grant["fixed_fee"]})
        share = rng.choices([100, 50, 0], [8, 1, 1])[0]
        if share:
            paid = int(round(float(grant["fixed_fee"]) * 100)) * share // 100
            payments.append({"id": len(payments) + 1, "license_id": grant["id"], "installment_id": len(installments),
                             "amount": f"{paid / 100:.2f}", "paid_on": grant["notice_date"], "created_at": now})
    relationships, periods = [], []
    clients_pool = sorted(set(holders) | set(ids["company"]))
    for rank, agency in enumerate(ids["agency"]):
        for organisation in rng.sample(clients_pool, max(3, int(1200 * weights[rank]))):
            start = START + timedelta(days=rng.randrange(span))
            end = start + timedelta(days=rng.randrange(1, 900)) if rng.random() < 0.3 else None
            relationships.append({"id": len(relationships) + 1, "agency_id": agency, "organisation_id": organisation,
                                  "status": "revoked" if end else "active", "requested_by_side": "agency",
                                  "requested_at": now, "permissions": ["open_licenses", "funnel"],
                                  "started_on": start, "ended_on": end, "created_at": now, "updated_at": now})
            periods += [{"relationship_id": len(relationships), "agency_id": agency, "organisation_id": organisation,
                         "permission": permission, "started_on": start, "ended_on": end, "created_at": now}
                        for permission in ("serve", "open_licenses", "funnel")]
    for number, period in enumerate(periods, start=1):
        period["id"] = number
    pledge_rows, pledge_links = [], []
    for i in range(1, deals // 20 + 1):
        day = START + timedelta(days=rng.randrange(span))
        pledge_rows.append({"id": i, "pledgor_id": rng.choice(holders), "pledgee_id": rng.choice(ids["bank"]),
                            "agency_id": rng.choices(ids["agency"], weights)[0] if rng.random() < 0.7 else None,
                            "amount": f"{rng.randint(10_000_000, 2_000_000_000) / 100:.2f}", "term_start": day,
                            "term_end": day + timedelta(days=730), "registration_number": f"YB{i:010d}",
                            "registered_on": day, "status": "registered", "created_at": now, "updated_at": now})
        pledge_links.append({"pledge_id": i, "patent_id": rng.randrange(1, patents_count + 1), "active": False})

    connection = db.engine.raw_connection()
    try:
        for model, rows in ((Organisation, orgs), (Patent, patents), (PatentSegment, segments), (Deal, deal_rows),
                            (DealPatent, links), (OpenLicenseDeclaration, declarations), (LicenseGrant, grants),
                            (PaymentInstallment, installments), (LicensePayment, payments),
                            (AgencyRelationship, relationships), (AgencyPermissionPeriod, periods),
                            (Pledge, pledge_rows), (PledgePatent, pledge_links)):
            started = time.perf_counter()
            copy_rows(connection, model.__table__, rows)
            print(f"  COPY {model.__tablename__}: {len(rows):,} rows in {time.perf_counter() - started:.1f}s", flush=True)
        with connection.cursor() as cursor:
            for model in (Organisation, Patent, Deal, LicenseGrant, Pledge, OpenLicenseDeclaration, PaymentInstallment,
                          LicensePayment, AgencyRelationship, AgencyPermissionPeriod):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{model.__tablename__}', 'id'), "
                               f"(SELECT max(id) FROM {model.__tablename__}))")
            cursor.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()
    agency_sizes = sorted(((sum(1 for d in deal_rows if d["agency_id"] == a), a) for a in ids["agency"]), reverse=True)
    return {"agencies": agency_sizes}


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_queries(app, scope, year: int, today: date, runs: int) -> list[tuple[str, float, float]]:
    from marketplace.console import dashboard, listing, statistics
    from marketplace.console.ledger import Filters
    from marketplace.extensions import db

    period = Filters(start=date(year, 1, 1), end=date(year, 12, 31))
    ytd = Filters(start=date(year, 1, 1), end=today)
    queries = {f"stats group_by={g} (this year)": (lambda g=g: statistics.deal_statistics(scope, period, g))
               for g in statistics.GROUPINGS}
    queries["stats group_by=month (2021-03-15..today)"] = lambda: statistics.deal_statistics(
        scope, Filters(start=date(2021, 3, 15), end=today), "month")
    queries["year-on-year (per mode)"] = lambda: statistics.year_on_year(scope, year, today)
    queries["SMEs acquiring academic patents"] = lambda: statistics.sme_summary(scope, year, today)
    queries["open-license fee split"] = lambda: statistics.fee_split(scope, ytd)
    queries["drill-down page 1 (this year)"] = lambda: listing.list_items(scope, period, 1, 50)
    queries["drill-down page 1 (one segment)"] = lambda: listing.list_items(scope, period.narrowed(segment="TM-A"), 1, 50)
    if scope.agency_id is not None:
        from marketplace.console import targets
        queries["composite: target progress (all metrics)"] = lambda: targets.target_progress(scope.agency_id, year, today)
    queries["composite: whole dashboard (everything it shows)"] = lambda: dashboard.build_dashboard(scope, year, today)
    results = []
    for name, run in queries.items():
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            run()
            samples.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        results.append((name, percentile(samples, 0.5), percentile(samples, 0.95)))
    return results


def ledger_arguments(description: str, runs: int) -> argparse.Namespace:
    """The command line every ledger bench takes (this one and ``bench/pricing.py`` share the database)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database of your own (emptied!)")
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--reuse", action="store_true", help="time an already filled database")
    return parser.parse_args()


def empty_schema() -> None:
    """Drop everything in the bench database and create the app's tables afresh."""
    from marketplace.extensions import db
    db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.session.commit()
    db.create_all()


def vacuum() -> None:
    """VACUUM ANALYZE after the bulk load, as autovacuum would in time: the console's index-only scans (rollup,
    deals) need the visibility map it sets, else they read every heap page again."""
    from marketplace.extensions import db
    started = time.perf_counter()
    connection = db.engine.raw_connection()
    try:
        connection.driver_connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    finally:
        connection.driver_connection.autocommit = False  # back to the pool as it came
        connection.close()
    print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.1f}s", flush=True)


def main() -> None:
    args = ledger_arguments(__doc__.split("\n")[0], runs=20)
    app = build_app(args.database_url)
    from marketplace.console import rollup
    from marketplace.console.ledger import Scope
    from marketplace.core import transaction
    from marketplace.core.memory import freeze_startup_heap
    from marketplace.extensions import db

    with app.app_context():
        if not args.reuse:
            empty_schema()
            print(f"filling {args.deals:,} deals …", flush=True)
            info = fill(app, args.deals)
            started = time.perf_counter()
            rows = rollup.rebuild()
            transaction.commit()
            print(f"  rollup rebuild: {rows:,} rows in {time.perf_counter() - started:.1f}s", flush=True)
            vacuum()
            sizes = info["agencies"]
        else:
            sizes = [tuple(r) for r in db.session.execute(text(
                "SELECT count(*), agency_id FROM deals WHERE agency_id IS NOT NULL GROUP BY agency_id ORDER BY 1 DESC"))]
        freeze_startup_heap()  # as the web process does (wsgi.py): what is alive now is not the page's garbage
        today = date.today()
        picks = [("platform (admin, rollup)", Scope()), (f"largest agency ({sizes[0][0]:,} deals)", Scope(sizes[0][1])),
                 (f"middle agency ({sizes[len(sizes) // 2][0]:,} deals)", Scope(sizes[len(sizes) // 2][1])),
                 (f"smallest agency ({sizes[-1][0]:,} deals)", Scope(sizes[-1][1]))]
        worst, pages = 0.0, {}
        for label, scope in picks:
            print(f"\n{label}: p50 / p95 ms over {args.runs} runs")
            for name, p50, p95 in time_queries(app, scope, today.year, today, args.runs):
                print(f"  {name:<48} {p50:8.1f} {p95:8.1f}")
                if not name.startswith("composite"):
                    worst = max(worst, p95)
                elif "whole dashboard" in name:
                    pages[label] = p95
        print(f"\nworst single-query p95: {worst:.1f} ms (goal ≤ 300 ms)")
        print(f"largest agency's whole page p95: {pages[picks[1][0]]:.1f} ms (goal ≤ 500 ms)")
        new_deal_costs(today, picks[1][1], args.runs)


def new_deal_costs(today: date, largest, runs: int) -> None:
    """What one new deal of the largest agency costs the rollup: its month is marked stale for the platform and that
    agency (what the session hooks mark), read live until the job refreshes those two partitions."""
    from marketplace.console import dashboard, rollup
    from marketplace.console.models import PLATFORM
    from marketplace.extensions import db

    month = date(today.year, max(1, today.month - 1), 1)  # a whole month of this year, normally read from the rollup
    marks = [(month, PLATFORM), (month, largest.agency_id)]
    rollup.mark_stale(marks)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        dashboard.build_dashboard(largest, today.year, today)
        samples.append((time.perf_counter() - started) * 1000)
    print(f"\nwith {month:%Y-%m} stale (a new deal, before the refresh job): largest agency's whole dashboard "
          f"p50 {percentile(samples, 0.5):.1f} / p95 {percentile(samples, 0.95):.1f} ms (goal ≤ 500 ms)")
    refreshes = []
    for _ in range(min(runs, 5)):
        rollup.mark_stale(marks)
        db.session.commit()
        started = time.perf_counter()
        rollup.refresh_stale()
        db.session.commit()
        refreshes.append((time.perf_counter() - started) * 1000)
    print(f"refresh_rollup after a new deal: its month of the platform and the agency recomputed p50 {percentile(refreshes, 0.5):.0f} / "
          f"p95 {percentile(refreshes, 0.95):.0f} ms (goal ≤ 500 ms; no rebuild)")


if __name__ == "__main__":
    main()
