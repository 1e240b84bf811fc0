"""How fast is the annual-fee ledger at 100,000 patents? p50/p95 of the month view and its exports.

Builds ``--patents`` patents from the real records (``bench/list_page.py``'s
recombination), gives every one of them to a single university (the worst
case: one owner's whole ledger), brings the ledger up to date with
``fees.ledger.sync_patents`` (the job that runs nightly; its time is printed),
then signs a member of that university in and requests, through the Flask
test client, this month's and this quarter's fee page and the month's CSV and
XLSX exports, one warm-up round and ``--rounds`` timed ones. Prints p50/p95
per request (in-process: routing, queries, template or spreadsheet; no
network), the rows each export holds and the load average.

    .venv/bin/python bench/fees.py --database-url postgresql://…/mkt_fees_bench [--patents 100000] [--rounds 10]

The target (issue 14) is p95 ≤ 300 ms on PostgreSQL for the month view and its export.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text, update  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench.list_page import build, make_app, percentile  # noqa: E402

TARGET_MS = 300.0
PASSWORD = "bench-fees-1"


def one_owner(app) -> tuple[int, int]:
    """Every patent to the first university, and a member to sign in as: (organisation id, fee rows)."""
    from marketplace.accounts.models import Membership, Organisation, OrganisationKind, Role, User
    from marketplace.extensions import db
    from marketplace.fees import ledger
    from marketplace.fees.models import AnnualFee
    from marketplace.patents.models import Patent

    with app.app_context():
        owner = db.session.scalar(select(Organisation.id).where(Organisation.kind == OrganisationKind.UNIVERSITY)
                                  .order_by(Organisation.id).limit(1))
        db.session.execute(update(Patent).values(owner_id=owner))
        # the records carry no grant date: patents in force were granted about two years after filing
        later = ("application_date + 700" if db.engine.dialect.name == "postgresql"
                 else "date(application_date, '+700 days')")
        db.session.execute(text(f"UPDATE patents SET grant_date = {later} WHERE legal_status IN "
                                "('granted', 'fee_overdue', 'invalidation_pending')"))
        user = User(email="bench-fees@example.test", name="bench", password_hash=generate_password_hash(PASSWORD))
        db.session.add(user)
        db.session.add(Membership(user=user, organisation_id=owner, role=Role.OWNER))
        db.session.commit()
        started = time.perf_counter()
        result = ledger.sync_patents()
        db.session.commit()
        rows = db.session.scalar(select(func.count()).select_from(AnnualFee))
        print(f"ledger sync: {rows:,} fee rows in {time.perf_counter() - started:.1f} s ({result})", flush=True)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        return owner, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL URL (its public schema is emptied); default: SQLite temp file")
    parser.add_argument("--patents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    from marketplace.core.dates import local_today

    with tempfile.TemporaryDirectory(prefix="bench-fees-") as workdir:
        app = make_app(args.database_url, Path(workdir))
        app.config["WTF_CSRF_ENABLED"] = False
        built = build(app, args.patents, seed=7)
        print(f"{args.patents:,} patents on {built['dialect']} in {built['seconds']:.1f} s", flush=True)
        one_owner(app)
        today = local_today()
        month = f"year={today.year}&month={today.month}"
        quarter = f"year={today.year}&quarter={(today.month - 1) // 3 + 1}"
        client = app.test_client()
        signed_in = client.post("/login", data={"email": "bench-fees@example.test", "password": PASSWORD})
        assert signed_in.status_code == 302, signed_in.status_code
        urls = [f"/fees?{month}", f"/fees?{quarter}", f"/fees.csv?{month}", f"/fees.xlsx?{month}"]
        for url in urls:  # warm-up, and the size of what each answer holds
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if ".csv" in url:
                print(f"  {url}: {response.get_data(as_text=True).count(chr(10)) - 1:,} fee rows exported")
        print(f"\n{'request':<36} {'p50 ms':>8} {'p95 ms':>8}")
        worst = 0.0
        for url in urls:
            durations = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                assert client.get(url).status_code == 200
                durations.append((time.perf_counter() - started) * 1000)
            p95 = percentile(durations, 0.95)
            worst = max(worst, p95)
            print(f"{url:<36} {statistics.median(durations):8.1f} {p95:8.1f}")
        print(f"\nworst p95: {worst:.1f} ms (target ≤ {TARGET_MS:.0f} ms: {'met' if worst <= TARGET_MS else 'NOT met'})")
        print(f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
