"""Does the embedded default hold under load? Three parallel 3,000-row imports plus other writes, on SQLite.

Reproduces issue 11's load against a real server on the zero-setup defaults
(SQLite under a temporary instance folder, embedded search, no Redis: jobs
run in each server process's in-process worker): it starts ``gunicorn -w 4``
(or ``--server werkzeug``, what ``make run`` serves), registers three
universities, a company and a fourth university, then at once

- each of the three universities uploads its own 3,000-row CSV export
  (real CNIPA records from ../shared/data, published on import, so every
  patent is indexed and pushed),
- ``--writers`` threads keep writing one small change every ``--pause``
  seconds (a company posting needs, a university editing one patent's title),
- one reader keeps listing patents,

until the imports are finished and ``--settle`` seconds more. It prints
per kind of request: how many, how many failed (any 5xx, or "database is
locked" anywhere in the answer), p50 / p95 / max latency; the wall time until
the three imports were done; the outbox backlog left then and the time to
drain it; how many times each patent's push job ran (the issue saw 11 runs of
one job); and, with ``--restart``, the latency of a one-field PATCH right
after restarting the server over a pending backlog (the issue saw 71 s).

    .venv/bin/python bench/embedded_load.py [--rows 3000] [--writers 3] [--server gunicorn|werkzeug] [--restart]

Run it on an otherwise idle machine (``nice`` it on a shared one); figures
depend on the cores available.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA_CANDIDATES = [ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data"]
PASSWORD = "bench-password-1"


def _import_rows_module():
    """bench/import_rows.py's record loading and export rows (it is a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("bench_import_rows", ROOT / "bench" / "import_rows.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    for folder in DATA_CANDIDATES:
        path = folder / "patents" / "cn_patents_with_abstract.jsonl"
        if path.exists():
            module.DATA = path
            return module
    raise SystemExit("no ../shared/data/patents/cn_patents_with_abstract.jsonl next to the repository")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(instance: Path, rows: int) -> dict:
    """Schema, organisations, tokens and three CSV exports; returns what the load needs."""
    from marketplace import create_app
    from marketplace.accounts import services as accounts
    from marketplace.config import Settings
    from marketplace.core import transaction
    from marketplace.extensions import db
    from marketplace.patents.services import create_patent
    from tests.factories import credit_code

    source = _import_rows_module()
    records, generated = source.load_records(3 * rows)
    # jobs of this set-up run here and now (sync): the servers' in-process workers are the only ones afterwards
    settings = Settings.from_env(instance, {**environment(instance), "INLINE_JOBS": "sync"})
    app = create_app({"SETTINGS": settings, "SERVER_NAME": "localhost"})
    with app.test_request_context():
        db.create_all()
        tokens: dict[str, str] = {}
        for index, (key, kind) in enumerate([("u1", "university"), ("u2", "university"), ("u3", "university"),
                                             ("u4", "university"), ("company", "company")], start=1):
            user = accounts.register_organisation(kind=kind, name=f"负载测试{key}", credit_code=credit_code(900 + index),
                                                  region_code="520100", email=f"{key}@load.test", user_name=key,
                                                  password=PASSWORD)
            tokens[key] = accounts.issue_api_token(user, "bench")[1]
        editable = create_patent(db.session.scalar(db.select(accounts.User).filter_by(email="u4@load.test")),
                                 {"application_number": "201710601862.3", "title": "负载测试专利"})
        transaction.commit()
        patent_id = editable.id
    folder = instance / "exports"
    folder.mkdir()
    files = []
    for part in range(3):
        path = folder / f"university{part + 1}.csv"
        chunk = records[part * rows:(part + 1) * rows]
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            import csv
            writer = csv.writer(handle)
            writer.writerow(source.HEADERS)
            writer.writerows(source.row_of(r, i) for i, r in enumerate(chunk))
        files.append(path)
    return {"tokens": tokens, "patent_id": patent_id, "files": files, "generated": generated}


def environment(instance: Path) -> dict[str, str]:
    return {"MARKETPLACE_ENV": "development", "SECRET_KEY": "bench-load", "DEMO_MODE": "false",
            "DATABASE_URL": f"sqlite:///{instance / 'marketplace.sqlite'}", "PUBLIC_URL": "http://127.0.0.1"}


def start_server(kind: str, port: int, instance: Path, log_path: Path) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if k not in ("ES_URL", "REDIS_URL", "DATABASE_URL")},
           **environment(instance), "INLINE_JOBS": "thread", "PYTHONPATH": str(ROOT)}
    python = Path(sys.executable)
    if kind == "gunicorn":
        command = [str(python.with_name("gunicorn")), "-w", "4", "-b", f"127.0.0.1:{port}", "--timeout", "30",
                   "--chdir", str(ROOT), "wsgi:app"]
    else:
        command = [str(python), "-m", "flask", "--app", "wsgi", "run", "--port", str(port), "--no-reload",
                   "--with-threads"]
    return launch(command, env, port, log_path)


def launch(command: list[str], env: dict[str, str], port: int, log_path: Path, wait: float = 60) -> subprocess.Popen:
    """Start a server in a session of its own (``stop_server`` ends it and its workers) and wait for ``/healthz``."""
    log = log_path.open("ab")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    stop_server(process)
    raise SystemExit(f"server did not start; see {log_path}")


def stop_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Recorder:
    """Latency and outcome of every request, by kind."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.failures: Counter = Counter()
        self.reasons: Counter = Counter()

    def call(self, kind: str, request: urllib.request.Request, timeout: float = 600) -> tuple[int, bytes]:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            status, body = 0, str(error).encode()
        elapsed = time.perf_counter() - started
        failed = status == 0 or status >= 500 or b"database is locked" in body
        with self.lock:
            self.latencies[kind].append(elapsed)
            if failed:
                self.failures[kind] += 1
                self.reasons[f"{kind}: {status} {body[:120]!r}"] += 1
        return status, body


def api(base: str, method: str, path: str, token: str, body: dict | None = None) -> urllib.request.Request:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    return urllib.request.Request(base + path, data=data, headers=headers, method=method)


def upload(base: str, token: str, path: Path) -> urllib.request.Request:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="publish"\r\n\r\ntrue\r\n'.encode())
    body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
               "Content-Type: text/csv\r\n\r\n".encode())
    body.write(path.read_bytes())
    body.write(f"\r\n--{boundary}--\r\n".encode())
    return urllib.request.Request(base + "/api/v1/patents/import", data=body.getvalue(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def outbox_pending(instance: Path) -> int:
    import sqlite3
    with sqlite3.connect(instance / "marketplace.sqlite", timeout=30) as connection:
        return connection.execute("SELECT count(*) FROM outbox_events WHERE processed_at IS NULL").fetchone()[0]


def run_load(base: str, setup: dict, args: argparse.Namespace, recorder: Recorder) -> float:
    """The three imports and the other writes; returns the seconds until every import was done."""
    tokens = setup["tokens"]
    started = time.perf_counter()
    done = threading.Event()
    batches: list[tuple[str, int]] = []

    def importer(index: int) -> None:
        key = f"u{index + 1}"
        status, body = recorder.call("import upload", upload(base, tokens[key], setup["files"][index]))
        if status == 202:
            batches.append((key, json.loads(body)["id"]))
        elif status != 200:
            print(f"import {key}: {status} {body[:200]!r}")

    def writer(number: int) -> None:
        sequence = 0
        while not done.is_set():
            sequence += 1
            if number % 2 == 0:
                request = api(base, "POST", "/api/v1/needs", tokens["company"], {
                    "title": f"寻求锂电池回收技术 {number}-{sequence}", "description": "负载测试期间提交的技术需求。"})
                recorder.call("write: POST need", request, timeout=120)
            else:
                request = api(base, "PATCH", f"/api/v1/patents/{setup['patent_id']}", tokens["u4"],
                              {"title": f"负载测试专利 第{number}-{sequence}次修改"})
                recorder.call("write: PATCH patent", request, timeout=120)
            time.sleep(args.pause)

    def reader() -> None:
        while not done.is_set():
            recorder.call("read: GET patents", urllib.request.Request(base + "/api/v1/patents?per_page=20"), timeout=120)
            time.sleep(args.pause)

    threads = [threading.Thread(target=importer, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads[:3]:
        thread.join()
    imports_done = None
    while imports_done is None:
        states = []
        for key, batch_id in batches:
            _status, body = recorder.call("poll progress", api(base, "GET", f"/api/v1/patents/imports/{batch_id}/progress",
                                                               tokens[key]), timeout=120)
            try:
                states.append(json.loads(body))
            except ValueError:
                states.append({"finished": False})
        if all(state.get("finished") for state in states):
            imports_done = time.perf_counter() - started
            for state in states:
                print(f"  import {state.get('id')}: {state.get('status')}, {state.get('rows_read')} rows"
                      + (f" ({state.get('error')})" if state.get("error") else ""))
        else:
            time.sleep(2)
    time.sleep(args.settle)
    done.set()
    for thread in threads[3:]:
        thread.join()
    return imports_done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000, help="rows per import (three imports)")
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between one thread's requests")
    parser.add_argument("--settle", type=float, default=10, help="seconds of further writes after the imports")
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn")
    parser.add_argument("--drain-timeout", type=float, default=1800, help="seconds to wait for the job backlog")
    parser.add_argument("--log", default="/tmp/embedded_load_server.log", help="where to keep the server's log")
    parser.add_argument("--restart", action="store_true",
                        help="restart the server over the pending backlog and time one PATCH")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="embedded-load-") as folder:
        instance = Path(folder)
        setup = prepare(instance, args.rows)
        print(f"3 × {args.rows}-row CSV imports ({setup['generated']} generated application numbers), "
              f"{args.writers} writers + 1 reader every {args.pause}s, server: {args.server} (SQLite, jobs in-process)")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = instance / "server.log"
        server = start_server(args.server, port, instance, log_path)
        recorder = Recorder()
        try:
            imports_seconds = run_load(base, setup, args, recorder)
            backlog = outbox_pending(instance)
            restart_patch = None
            if args.restart and backlog:
                stop_server(server)
                server = start_server(args.server, port, instance, log_path)
                started = time.perf_counter()
                status, _body = recorder.call("PATCH after restart", api(
                    base, "PATCH", f"/api/v1/patents/{setup['patent_id']}", setup["tokens"]["u4"],
                    {"title": "重启后的一次修改"}))
                restart_patch = (time.perf_counter() - started, status, outbox_pending(instance))
            drain_started = time.perf_counter()
            while (pending := outbox_pending(instance)) and time.perf_counter() - drain_started < args.drain_timeout:
                if int(time.perf_counter() - drain_started) % 60 < 2:
                    print(f"  draining: {pending} outbox rows pending after {time.perf_counter() - drain_started:.0f} s")
                time.sleep(2)
            drained = time.perf_counter() - drain_started
            left = outbox_pending(instance)
        finally:
            stop_server(server)
        log = log_path.read_text(encoding="utf-8", errors="replace")
        Path(args.log).write_text(log, encoding="utf-8")

    print(f"{'requests':24} {'n':>6} {'failed':>7} {'p50 s':>8} {'p95 s':>8} {'max s':>8}")
    for kind, values in sorted(recorder.latencies.items()):
        print(f"{kind:24} {len(values):6d} {recorder.failures[kind]:7d} {statistics.median(values):8.3f} "
              f"{percentile(values, 0.95):8.3f} {max(values):8.3f}")
    for reason, count in recorder.reasons.most_common(5):
        print(f"  failure ×{count}: {reason}")
    print(f"imports finished after {imports_seconds:.1f} s; outbox backlog then {backlog} rows")
    if restart_patch is not None:
        seconds, status, pending = restart_patch
        print(f"one-field PATCH right after a restart over that backlog: {seconds:.3f} s (HTTP {status}, "
              f"{pending} rows still pending when it answered)")
    print(f"backlog drained {'in' if not left else 'NOT within'} {drained:.0f} s ({left} rows left)")
    restarted = log.find("Starting gunicorn", log.find("Starting gunicorn") + 1) if args.server == "gunicorn" else -1
    before, after = (log[:restarted], log[restarted:]) if restarted > 0 else (log, "")
    runs = Counter(re.findall(r"\[job (push-patent-[\d-]+)\] patents [^:]*: pushed", before))
    print(f"push jobs: {len(runs)} run, most runs of one job: {max(runs.values(), default=0)}"
          + (" (before the restart)" if args.restart else ""))
    if args.restart:
        again = Counter(re.findall(r"\[job (push-patent-[\d-]+)\] patents [^:]*: pushed", after))
        print(f"  after the restart: {len(again)} run, of which {len(set(again) & set(runs))} again (the batch the "
              f"stopped server was handling is claimed again after the lease: at least once); most runs of one job "
              f"after the restart: {max(again.values(), default=0)}")
    print(f"server log ({args.log}): 'database is locked' {log.count('database is locked')} times, "
          f"{log.count('Traceback')} tracebacks, {log.count('inline job')} jobs failed for good")


if __name__ == "__main__":
    main()
