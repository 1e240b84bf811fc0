"""The web process's memory under searches: its RSS over 1,000 mixed searches at 100,000 patents (issue 12).

Serves the app the way ``make run`` does (``flask run`` with request threads, embedded search, no Redis) or
with ``gunicorn`` workers, on the world ``bench/push.py`` leaves behind: its database (100,000 published
patents by default) and its instance folder, which holds the embedded index (``search.sqlite``). Then
``--threads`` clients send ``--searches`` GET ``/search`` requests: the first words of real needs' titles
(``../shared/data/techmarket``) with rotating segment and grade filters, sorts and pages, and every fifth
one a one-word search whose hits are a large part of the corpus (方法, 一种 …); before them, ``--idle`` seconds
after the server's first request, three searches one at a time give the latency a first user sees (``--cold``:
without the warm-up ``wsgi.py`` starts with the first request). Every ``--every`` answers it
prints the server's RSS (every worker's, for gunicorn) from ``/proc``, and at the end the peak against the
300 MB target, with the latency p50 / p95 and any answer that was not a 200.

    python bench/push.py --database-url postgresql+psycopg://…/push --instance /tmp/push \\
        --publish 0 --trickle 0 --phases ""   # once: the world, every patent published (sqlite:///… as make run)
    python bench/web_memory.py --database-url postgresql+psycopg://…/push --instance /tmp/push \\
        [--searches 1000 --threads 8 --every 100 --server werkzeug|gunicorn]

Linux only (``/proc``). Run it on an otherwise idle machine: the figures are the server's, not the clients'.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = next((d for d in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data") if d.is_dir()),
            ROOT.parent / "shared" / "data")
TARGET_MIB = 300 * 10**6 / 2**20  # the 300 MB

from bench.embedded_load import free_port, launch, stop_server  # noqa: E402
from bench.match_speed.queries import ONE_WORDS  # noqa: E402

SORTS = ("relevance", "application_date_desc", "grade")


def served_app():
    """The app the bench serves (``flask --app bench.web_memory:served_app``): the instance folder of
    ``BENCH_INSTANCE``, its malloc tuned, its search warmed after its first request and its startup heap
    frozen as ``wsgi.py`` does (``BENCH_COLD``: not warmed)."""
    from marketplace import create_app
    from marketplace.config import Settings
    from marketplace.core.memory import freeze_startup_heap, tune_allocator
    from marketplace.search.backend import warm_with_first_request

    tune_allocator()
    app = create_app({"SETTINGS": Settings.from_env(Path(os.environ["BENCH_INSTANCE"]))})
    if not os.environ.get("BENCH_COLD"):
        warm_with_first_request(app)
    freeze_startup_heap()
    return app


def search_urls(count: int, segments: list[str]) -> list[str]:
    """``count`` mixed search paths: need-title words with filters, sorts and pages; every fifth a one-word one."""
    titles = [json.loads(line)["name"] for line in (DATA / "techmarket" / "needs.jsonl").open(encoding="utf-8")]
    urls = []
    for i in range(count):
        if i % 5 == 4:
            params: dict[str, object] = {"q": ONE_WORDS[i // 5 % len(ONE_WORDS)], "page": 1 + i // 50 % 2,
                                         "sort": SORTS[i // 20 % 2]}
        else:
            params = {"q": titles[i % len(titles)][:6], "sort": SORTS[i % 3], "page": 1 + i % 3}
            if i % 2:
                params["segment"] = segments[i % len(segments)]
            if i % 3 == 0:
                params["grade"] = ["A", "B"]
        urls.append("/search?" + urlencode(params, doseq=True))
    return urls


def top_segments(database_url: str, limit: int = 12) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT segment_code FROM patent_segments GROUP BY segment_code "
                                 "ORDER BY count(*) DESC LIMIT :n"), {"n": limit}).scalars().all()
    engine.dispose()
    return list(rows)


def start_server(kind: str, port: int, instance: Path, database_url: str, threads: int,
                 cold: bool) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if k not in ("ES_URL", "REDIS_URL", "BENCH_COLD")},
           **({"BENCH_COLD": "1"} if cold else {}),
           "DATABASE_URL": database_url, "BENCH_INSTANCE": str(instance), "SECRET_KEY": "bench-web-memory",
           "DEMO_MODE": "false", "PUBLIC_URL": "http://127.0.0.1", "PYTHONPATH": str(ROOT)}
    python = Path(sys.executable)
    if kind == "gunicorn":
        command = [str(python.with_name("gunicorn")), "-w", "2", "--threads", str(threads), "-b",
                   f"127.0.0.1:{port}", "--timeout", "60", "bench.web_memory:served_app()"]
    else:
        command = [str(python), "-m", "flask", "--app", "bench.web_memory:served_app", "run", "--port", str(port),
                   "--no-reload", "--with-threads"]
    return launch(command, env, port, instance / "web_memory.log", wait=120)


def serving_pids(process: subprocess.Popen, kind: str) -> list[int]:
    """The processes that answer requests: the flask process itself, or gunicorn's workers."""
    if kind != "gunicorn":
        return [process.pid]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="the database of a bench/push.py world")
    parser.add_argument("--instance", type=Path, required=True, help="its instance folder (with search.sqlite)")
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8, help="clients sending at once")
    parser.add_argument("--every", type=int, default=100, help="print the RSS every this many answers")
    parser.add_argument("--server", choices=("werkzeug", "gunicorn"), default="werkzeug",
                        help="werkzeug: what make run serves; gunicorn: two workers with --threads threads")
    parser.add_argument("--idle", type=float, default=5.0,
                        help="seconds between the server's first request (its health check) and the first search")
    parser.add_argument("--cold", action="store_true", help="do not warm the search backend (to compare)")
    args = parser.parse_args()
    instance = args.instance.resolve()
    if not (instance / "search.sqlite").exists():
        parser.error(f"{instance} holds no embedded index (search.sqlite): run bench/push.py first")

    urls = search_urls(args.searches, top_segments(args.database_url))
    port = free_port()
    print(f"load average {os.getloadavg()[0]:.2f}; {args.server} on port {port}; {len(urls)} searches from "
          f"{args.threads} clients", flush=True)
    process = start_server(args.server, port, instance, args.database_url, args.threads, args.cold)
    try:
        pids = serving_pids(process, args.server)
        print(f"started: RSS {', '.join(f'{rss_mib(p):.0f}' for p in pids)} MiB", flush=True)
        time.sleep(args.idle)
        for path in urls[:2] + [urls[4]]:  # a need's words, a filtered one, a one-word search
            started = time.perf_counter()
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120).read()
            print(f"first searches{' (cold)' if args.cold else ''}: {(time.perf_counter() - started) * 1000:,.0f} ms "
                  f"{path}; RSS {', '.join(f'{rss_mib(p):.0f}' for p in pids)} MiB", flush=True)
        lock = threading.Lock()
        latencies: list[float] = []
        failures: list[str] = []
        peak = 0.0

        def fetch(path: str) -> None:
            nonlocal peak
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as answer:
                    answer.read()
            except urllib.error.HTTPError as error:
                failures.append(f"{error.code} {path}")
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                if len(latencies) % args.every == 0:
                    sizes = [rss_mib(p) for p in pids]
                    peak = max(peak, *sizes)
                    ordered = sorted(latencies)
                    print(f"after {len(latencies):>5,} searches: RSS {', '.join(f'{s:.0f}' for s in sizes)} MiB; "
                          f"latency so far p50 {ordered[len(ordered) // 2] * 1000:.0f} ms; "
                          f"load {os.getloadavg()[0]:.2f}", flush=True)

        with ThreadPoolExecutor(args.threads) as clients:
            list(clients.map(fetch, urls))
        ordered = sorted(latencies)
        peak = max(peak, *(rss_mib(p) for p in pids))
        print(f"{len(latencies):,} searches: latency p50 {statistics.median(ordered) * 1000:.0f} ms, "
              f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.0f} ms; not 200: {len(failures)}"
              + (f" (first: {failures[0]})" if failures else ""), flush=True)
        print(f"peak RSS {peak:.0f} MiB per serving process (target < {TARGET_MIB:.0f} MiB = 300 MB: "
              f"{'met' if peak < TARGET_MIB else 'NOT met'})", flush=True)
    finally:
        stop_server(process)


if __name__ == "__main__":
    main()
