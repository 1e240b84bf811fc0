"""Server time of every main page with the demo data, each demo role, both languages: p50/p95 per page.

The main pages of a role are its home and every entry of its header menu (the same list a visitor clicks
through), found on its rendered home page. Seeds the demo world into a fresh database, signs each demo user
in through the login form, then requests each page once to warm up and ``--rounds`` timed times, in Chinese
and in English, through the Flask test client: the time is the server's (routing, queries, templates; no
network, no browser). Prints p50/p95/max, the CPU time and the SQL statements per page, the overall p95,
the pages over the 150 ms target at p95 and the load average (on a busy machine the wall time includes waiting for a CPU).

    nice -n 10 .venv/bin/python bench/pages.py [--rounds 10]
        [--database-url postgresql://marketplace:marketplace@127.0.0.1/mkt_bench_pages]

Without ``--database-url`` it uses a fresh SQLite file; with it, the public schema of that PostgreSQL
database is emptied first (use a database of your own).
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.list_page import make_app, measure, percentile  # noqa: E402

ROLES = {"university": "university@demo.local", "company": "company@demo.local", "agency": "agency@demo.local",
         "admin": "admin@demo.local"}
TARGET_MS = 150.0
# Header links that are pages: menu entries, the consents and inbox links (not the language switch or sign-out).
MENU_LINK = re.compile(r'<a class="(?:dropdown-item|nav-link)[^"]*" href="(/[^"#]*)"')
NOT_PAGES = ("/lang/", "/api/", "/logout")


def main_pages(client) -> list[str]:
    """The signed-in user's home and every page its header links to."""
    home = client.get("/home")
    assert home.status_code == 200
    links = [href for href in MENU_LINK.findall(home.get_data(as_text=True)) if not href.startswith(NOT_PAGES)]
    return ["/home", *dict.fromkeys(link for link in links if link != "/home")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL URL (its public schema is emptied); default: SQLite temp file")
    parser.add_argument("--rounds", type=int, default=10, help="timed requests of each page, per role and language")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the seed's job and mail logs

    from marketplace.core import transaction
    from marketplace.core.memory import freeze_startup_heap
    from marketplace.demo import DEMO_PASSWORD, seed

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as workdir:
        app = make_app(args.database_url, Path(workdir), DEMO_MODE="true")
        app.config["WTF_CSRF_ENABLED"] = False  # the bench signs in by posting the form
        with app.test_request_context():
            seed()
            transaction.commit()
        freeze_startup_heap()  # as wsgi.py does for the served app
        walls: list[float] = []
        slow: list[str] = []
        print(f"{'role':<10} {'lang':<4} {'page':<32} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu p50':>8} {'SQL':>4}")
        for role, email in ROLES.items():
            for lang in ("zh", "en"):
                client = app.test_client()
                client.get(f"/lang/{lang}")
                signed_in = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
                assert signed_in.status_code == 302, (role, signed_in.status_code)
                results = measure(app, main_pages(client), args.rounds, client)
                for page, (durations, cpu_times, sql) in results.items():
                    walls += durations
                    if percentile(durations, 0.95) > TARGET_MS:
                        slow.append(f"{role} {lang} {page} {percentile(durations, 0.95):.0f} ms")
                    print(f"{role:<10} {lang:<4} {page:<32} {statistics.median(durations):7.1f} "
                          f"{percentile(durations, 0.95):7.1f} {max(durations):7.1f} "
                          f"{statistics.median(cpu_times):8.1f} {sql:4d}")
        p95 = percentile(walls, 0.95)
        print(f"ALL ({len(walls)} requests): p50 {statistics.median(walls):.1f} ms, p95 {p95:.1f} ms "
              f"(target ≤ {TARGET_MS:.0f} ms: {'met' if p95 <= TARGET_MS else 'NOT met'}), max {max(walls):.1f} ms")
        print(f"pages over {TARGET_MS:.0f} ms at p95: " + ("; ".join(slow) if slow else "none"))
        print(f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
