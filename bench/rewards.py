"""How long do an institution's rewards page and yearly report take with many deals? Prints timings.

Builds, in a temporary SQLite database (or ``--database-url``, whose tables it creates), one university with
``--deals`` binding deals this year (transfers, licenses and equity contributions, 1–3 patents each, every patent
with 1–5 inventors whose shares add up to 100) sold to a pool of companies, plus ``--deals / 10`` deals of other
universities, then times ``rewards.services.overview`` (every income with its reward split per inventor),
``rewards.report.authority_report`` (the console's ledger grouped five ways) and ``finance_rows`` (the XLSX rows),
``--runs`` times each, printing min / median / max.

    nice -n 10 .venv/bin/python bench/rewards.py [--deals 2000] [--runs 5] [--database-url postgresql+psycopg://…]

Synthetic rows (seeded); only sizes matter. Figures depend on the cores free: note the load average.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_app(database_url: str | None):
    from marketplace import create_app
    from marketplace.config import Settings
    instance = Path(tempfile.mkdtemp())
    env = {"MARKETPLACE_ENV": "testing", "SECRET_KEY": "bench",
           "DATABASE_URL": database_url or f"sqlite:///{instance / 'bench.sqlite'}"}
    return create_app({"SETTINGS": Settings.from_env(instance, env)})


def fill(deals: int, seed: int = 11) -> object:
    from marketplace.accounts.models import Membership, Organisation, OrganisationKind, Role, User
    from marketplace.core.dates import local_today
    from marketplace.deals.models import Deal, DealMode, DealPatent, DealStatus, LicenseKind
    from marketplace.extensions import db
    from marketplace.patents.models import Patent
    from marketplace.patents.vocab import PatentType
    from marketplace.rewards.models import Inventor, InventorShare

    rng = random.Random(seed)
    today = local_today()
    universities = [Organisation(kind=OrganisationKind.UNIVERSITY, name=f"大学{i}", credit_code=f"12{i:016d}",
                                 region_code="520100") for i in range(3)]
    companies = [Organisation(kind=OrganisationKind.COMPANY, name=f"企业{i}", credit_code=f"91{i:016d}",
                              region_code=rng.choice(["520100", "110000", "440300"]), is_sme=rng.random() < 0.6)
                 for i in range(200)]
    db.session.add_all(universities + companies)
    db.session.flush()
    user = User(email="bench@univ.test", name="bench", password_hash="x")
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, organisation_id=universities[0].id, role=Role.OWNER))
    inventors = [Inventor(organisation_id=universities[0].id, name=f"发明人{i}") for i in range(deals // 2 + 5)]
    db.session.add_all(inventors)
    db.session.flush()
    serial = 0
    for n in range(deals + deals // 10):
        seller = universities[0] if n < deals else rng.choice(universities[1:])
        patents = []
        for _ in range(rng.randint(1, 3)):
            serial += 1
            patents.append(Patent(application_number=f"2020{serial:08d}.X", title=f"专利{serial}",
                                  patent_type=PatentType.INVENTION,
                                  owner_id=seller.id))
        db.session.add_all(patents)
        db.session.flush()
        if seller is universities[0]:
            for patent in patents:
                people = rng.sample(inventors, rng.randint(1, 5))
                shares = [Decimal(100 // len(people))] * len(people)
                shares[0] += Decimal(100) - sum(shares)
                db.session.add_all(InventorShare(patent_id=patent.id, inventor_id=p.id, share=s)
                                   for p, s in zip(people, shares))
        mode = rng.choice(list(DealMode))
        db.session.add(Deal(mode=mode, license_kind=LicenseKind.ORDINARY if mode == DealMode.LICENSE else None,
                            status=DealStatus.SIGNED, seller_id=seller.id, buyer_id=rng.choice(companies).id,
                            amount=Decimal(rng.randint(10_000, 5_000_000)) + Decimal("0.37"),
                            contract_date=today.replace(day=1), title=f"交易{n}",
                            patent_links=[DealPatent(patent_id=p.id) for p in patents]))
        if n % 500 == 0:
            db.session.flush()
    db.session.commit()
    return db.session.get(User, user.id)


def timed(runs: int, action) -> str:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return f"min {min(seconds) * 1000:.0f} ms, median {statistics.median(seconds) * 1000:.0f} ms, " \
           f"max {max(seconds) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    app = build_app(args.database_url)
    from marketplace.core.dates import local_today
    from marketplace.extensions import db
    from marketplace.rewards import report, services
    with app.test_request_context():
        db.create_all()
        started = time.perf_counter()
        user = fill(args.deals)
        print(f"filled {args.deals} deals of the university (+{args.deals // 10} of others) "
              f"in {time.perf_counter() - started:.1f} s")
        year = local_today().year
        found = services.overview(user, year)
        print(f"incomes {len(found.incomes)}, rewards {found.reward_total}, "
              f"inventors paid {len(found.per_inventor())}")
        print("overview        ", timed(args.runs, lambda: services.overview(user, year)))
        print("finance rows    ", timed(args.runs, lambda: services.finance_rows(services.overview(user, year))))
        print("authority report", timed(args.runs, lambda: report.authority_report(user, year)))


if __name__ == "__main__":
    main()
