"""Do pushes keep up? Publish-to-inbox latency under a steady stream, and a bulk publication fully pushed.

Builds a fresh world in the given database: universities owning ``--patents``
patents (``--publish`` of them drafts), ``--subs`` companies with ``--needs``
open needs between them, one segment subscription per company; indexes it
all; then starts its own ``redis-server`` and ``--workers`` long-running
``flask worker`` processes and runs two phases (``--phases``):

- **rate**: publishes ``--trickle`` drafts one commit at a time at ``--rate``
  per second (a university clicking "publish") and waits until every outbox
  row and queue is empty. It prints pushes per second and the p50/p95/max
  latency from a patent's ``published_at`` to its inbox entries'
  ``created_at`` (target: p95 ≤ 2 s at 10 publications/s with 2 workers).
- **bulk**: forgets the rate phase, then publishes all ``--publish`` drafts
  at once, the way a province's import is released: each university publishes
  all its imported drafts in one click (one commit per university, back to
  back). It prints the seconds from the first publication until the last
  inbox or digest entry and until every queue was idle (target: 10,000
  patents fully pushed within 300 s).

Each phase prints the load average before and after it: on a shared machine
the figures are upper bounds.

The data are real records from ../shared/data, RECOMBINED to reach the sizes:
patents are the 11,956 CNIPA records of ``patents/cn_patents_with_abstract``
plus the 2,812 technology-market achievements, reused round-robin with the
abstract extended by the opening of another record of the same segment and a
generated application number (valid check digit); needs are the 1,579
technology-market needs reused the same way. Segments come from the demo
rules (IPC prefix / need keywords). Organisations are inserted directly;
only universities get a (sign-in-less) user, to publish, so nobody is e-mailed.

    nice -n 10 .venv/bin/python bench/push.py --database-url postgresql://marketplace:marketplace@127.0.0.1/mt_push \\
        --instance /tmp/bench-push [--patents 100000 --publish 10000 --trickle 1000 --needs 10000 --subs 1000 \\
        --workers 2 --rate 10 --phases rate,bulk --es-url http://127.0.0.1:9200]
    # again on the same world: add --reuse

``--rate 0`` publishes as fast as one process can commit: the workers fall
behind, so that run measures throughput and its latency is mostly queueing;
a rate the workers sustain measures latency.

The database's public schema is dropped first: use a database of your own.
With ``--es-url`` the index lives in Elasticsearch under the prefix
``bench-push-<instance folder name>``, else in the instance folder.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# ../shared/data from the main checkout; a worktree (wt/<name>) finds it one level further up
DATA = next((d for d in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data") if d.is_dir()),
            ROOT.parent / "shared" / "data")

from flask import Flask  # noqa: E402
from sqlalchemy import delete, func, insert, select, text, update  # noqa: E402

CHUNK = 5000


def worker_app() -> Flask:
    """The app the bench's workers run (``flask --app bench.push:worker_app worker``)."""
    from marketplace import create_app
    from marketplace.config import Settings
    settings = Settings.from_env(Path(os.environ["BENCH_INSTANCE"]))
    return create_app({"SETTINGS": settings, "PUSH_DAILY_CAP": int(os.environ.get("BENCH_DAILY_CAP", "20"))})


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def source(record: dict) -> str:
    return f"{record['source_repo']}:{record['source_path']}#{record.get('source_row', record.get('source_index'))}"


# The IPC prefix → segment rules the demo used before segments came from accepted IPC suggestions; kept here
# so the bench's world (about 55 subscribers per publication) stays comparable from run to run.
IPC_SEGMENTS = [
    ("H01M", ["TM-F1", "SEI-06"]), ("B64", ["TM-E1", "SEI-02"]), ("G06F", ["TM-A2", "SEI-01"]),
    ("G06", ["TM-A5", "SEI-01"]), ("H04", ["TM-A3", "SEI-01"]), ("G01", ["TM-E3", "SEI-02"]),
    ("E01", ["TM-E5", "PII-3"]), ("E02", ["TM-E5", "PII-3"]), ("E04", ["TM-E5"]), ("C04", ["TM-D5", "SEI-03"]),
    ("A01B", ["TM-H11"]), ("A01C", ["TM-H2"]), ("A01D", ["TM-H11"]), ("A01F", ["TM-H10"]), ("A01G", ["TM-H2"]),
    ("A01H", ["TM-H1"]), ("A01J", ["TM-H7"]), ("A01K", ["TM-H7"]), ("A01M", ["TM-H4"]), ("A01N", ["TM-C2"]),
    ("A01P", ["TM-C2"]), ("A01", ["TM-H"]), ("C", ["TM-D7", "SEI-03"]), ("H", ["TM-A", "SEI-01"]),
]


def _segments_for_ipc(codes: list[str]) -> list[str]:
    for code in codes:
        compact = code.replace(" ", "")
        for prefix, segments in IPC_SEGMENTS:
            if compact.startswith(prefix):
                return segments
    return ["TM-Z"]


def patent_pool(taxonomy) -> list[dict]:
    """Real patent-like records with their segments: CNIPA patents and technology-market achievements."""
    from marketplace.demo import INDUSTRY_SEGMENTS
    pool = []
    for record in read_jsonl(DATA / "patents" / "cn_patents_with_abstract.jsonl"):
        if record.get("title") and record.get("abstract"):
            pool.append({"title": record["title"], "abstract": record["abstract"], "ipc": record.get("ipc") or [],
                         "segments": _segments_for_ipc(record.get("ipc") or []), "source": source(record)})
    for record in read_jsonl(DATA / "techmarket" / "achievements.jsonl"):
        family, _, area = (record.get("industry") or "").partition("-")
        segment = taxonomy.resolve(area) if area else None
        pool.append({"title": record["name"].strip(), "abstract": (record.get("context") or "").strip(), "ipc": [],
                     "segments": [segment.code if segment else INDUSTRY_SEGMENTS.get(family, "TM-Z")],
                     "source": source(record)})
    return pool


def need_pool() -> list[dict]:
    from marketplace.demo import NEED_KEYWORD_SEGMENTS
    pool = []
    for record in read_jsonl(DATA / "techmarket" / "needs.jsonl"):
        text = record["name"] + record["context"]
        segments = next((s for k, s in NEED_KEYWORD_SEGMENTS if k in text), ["TM-Z"])
        pool.append({"title": record["name"][:300], "description": record["context"].strip(), "segments": segments,
                     "source": source(record)})
    return pool


def recombine(pool: list[dict], count: int, text_key: str, rng: random.Random) -> list[dict]:
    """``count`` records: the pool once as is, then each record again with another same-segment text appended."""
    by_segment: dict[str, list[dict]] = {}
    for record in pool:
        by_segment.setdefault(record["segments"][0], []).append(record)
    out = []
    for index in range(count):
        record = dict(pool[index % len(pool)])
        if index >= len(pool):
            other = rng.choice(by_segment[record["segments"][0]])
            record[text_key] = f"{record[text_key]} {other[text_key][:120]}"
            record["source"] += f" + {other['source']}"
        out.append(record)
    return out


def reset_database(app: Flask) -> None:
    from marketplace.extensions import db
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()


def synthesise(app: Flask, args: argparse.Namespace) -> list[int]:
    """Insert the world with bulk inserts; returns the ids of the draft patents the run will publish."""
    from marketplace.accounts.models import Membership, Organisation, Role, User
    from marketplace.core.models import utcnow
    from marketplace.extensions import db
    from marketplace.needs.models import Need, NeedSegment
    from marketplace.patents.models import Patent, PatentSegment
    from marketplace.patents.numbers import check_character
    from marketplace.push.models import Subscription, SubscriptionSegment, SubscriptionTarget
    rng = random.Random(20250301)
    with app.app_context():
        taxonomy = app.extensions["taxonomy"]
        universities = max(1, args.patents // 2000)
        orgs = [{"kind": "university", "name": f"基准大学{i}", "credit_code": f"12{i:016d}", "region_code": "520100"}
                for i in range(universities)]
        orgs += [{"kind": "company", "name": f"基准企业{i}", "credit_code": f"91{i:016d}", "region_code": "520100",
                  "is_sme": True} for i in range(args.subs)]
        for org in orgs:
            org.update(grade_labels=["A", "B", "C", "D"], grade_criteria={}, created_at=utcnow(), updated_at=utcnow())
        db.session.execute(insert(Organisation), orgs)
        university_ids = list(db.session.scalars(select(Organisation.id).where(Organisation.kind == "university")))
        for university_id in university_ids:  # the office staff who publish (no password: cannot sign in)
            db.session.add(User(email=f"office{university_id}@bench.invalid", name="技术转移办公室", password_hash="!",
                                membership=Membership(organisation_id=university_id, role=Role.OWNER)))
        company_ids = list(db.session.scalars(select(Organisation.id).where(Organisation.kind == "company")))

        patents = recombine(patent_pool(taxonomy), args.patents, "abstract", rng)
        drafts = set(rng.sample(range(args.patents), args.publish))
        now = utcnow()
        for start in range(0, len(patents), CHUNK):
            rows, segments = [], []
            for index in range(start, min(start + CHUNK, len(patents))):
                record = patents[index]
                digits = f"2024{1}{index:07d}"
                rows.append({"application_number": f"{digits}.{check_character(digits)}", "patent_type": "invention",
                             "title": record["title"][:500], "abstract": record["abstract"], "first_claim": "",
                             "ipc_codes": [], "publication_numbers": [], "co_owners": [], "inventors": [],
                             "owner_id": university_ids[index % len(university_ids)], "legal_status": "granted",
                             "grade": "ABCD"[index % 4], "tags": [], "modes": ["license", "transfer"][: 1 + index % 2],
                             "state": "draft" if index in drafts else "published",
                             "published_at": None if index in drafts else now, "source": record["source"][:300],
                             "proceedings_suspended": False, "created_at": now, "updated_at": now})
            ids = list(db.session.scalars(insert(Patent).returning(Patent.id), rows))
            for patent_id, index in zip(ids, range(start, start + len(rows)), strict=True):
                segments.extend({"patent_id": patent_id, "segment_code": code} for code in patents[index]["segments"])
            db.session.execute(insert(PatentSegment), segments)
        needs = recombine(need_pool(), args.needs, "description", rng)
        valid_until = date.today() + timedelta(days=365)
        for start in range(0, len(needs), CHUNK):
            rows = [{"organisation_id": company_ids[index % len(company_ids)], "title": needs[index]["title"],
                     "description": needs[index]["description"], "keywords": [], "modes": ["license"],
                     "valid_until": valid_until, "status": "open", "public": True, "source": needs[index]["source"][:300],
                     "created_at": now, "updated_at": now} for index in range(start, min(start + CHUNK, len(needs)))]
            ids = list(db.session.scalars(insert(Need).returning(Need.id), rows))
            db.session.execute(insert(NeedSegment), [{"need_id": need_id, "segment_code": code}
                                                     for need_id, index in zip(ids, range(start, start + len(rows)), strict=True)
                                                     for code in needs[index]["segments"]])
        for position, company_id in enumerate(company_ids):  # each company subscribes to its needs' segments
            codes = sorted({c for i in range(position, len(needs), len(company_ids)) for c in needs[i]["segments"]})[:4]
            db.session.add(Subscription(organisation_id=company_id, target=SubscriptionTarget.PATENTS, keywords=[],
                                        modes=[], open_license_only=False,
                                        segment_links=[SubscriptionSegment(segment_code=c) for c in codes or ["TM-Z"]]))
        db.session.commit()
        draft_ids = list(db.session.scalars(select(Patent.id).where(Patent.state == "draft").order_by(Patent.id)))
    return draft_ids


def build_index(app: Flask) -> float:
    """The app's rebuild (``flask reindex``'s path: it keeps the vectors and analyses it makes)."""
    from marketplace.core import transaction
    from marketplace.search.indexing import rebuild_indices
    with app.app_context():
        report, _ = rebuild_indices()
        transaction.commit()
        return report.seconds


def reset_publications(app: Flask, ids: list[int]) -> None:
    """Turn the published drafts back into drafts and forget every push, for another phase or run."""
    from marketplace.core.models import OutboxEvent
    from marketplace.extensions import db
    from marketplace.patents.models import Patent
    from marketplace.push.models import DigestEntry, MatchFeedback, MessageThread, Notification
    from marketplace.search.backend import search_backend
    from marketplace.search.models import Match
    with app.app_context():
        published = list(db.session.scalars(select(Patent.id).where(Patent.id.in_(ids), Patent.state == "published")))
        for model in (Notification, DigestEntry, MatchFeedback, MessageThread, Match, OutboxEvent):
            db.session.execute(delete(model))
        db.session.execute(update(Patent).where(Patent.id.in_(ids)).values(state="draft", published_at=None))
        db.session.commit()
        backend = search_backend()
        for patent_id in published:
            backend.delete_patent(patent_id)
        backend.refresh()


def queues_idle(app: Flask) -> bool:
    from rq.registry import StartedJobRegistry

    from marketplace.core import outbox
    from marketplace.core.jobs import QUEUES, jobs
    from marketplace.extensions import db
    with app.app_context():
        runner = jobs()
        busy = any(runner.queue(name).count or StartedJobRegistry(name, connection=runner.connection).count
                   for name in QUEUES)
        pending = outbox.pending_counts()
        db.session.remove()
    return not busy and not pending


def warm_up() -> None:
    """Job (run by name, ``bench.push.warm_up``): load the search index into this worker, as a long-running worker
    has it loaded already, so the first publications do not measure a cold start."""
    from marketplace.extensions import db
    from marketplace.patents.models import Patent
    from marketplace.search.backend import search_backend
    from marketplace.search.documents import patent_documents
    patent = db.session.scalar(select(Patent).where(Patent.state == "published").limit(1))
    if patent is not None:
        for document in patent_documents([patent]):
            search_backend().match_needs(document, limit=30)
    time.sleep(2)  # hold this worker so the next warm-up job goes to another one


def wait_for_workers(app: Flask, count: int, limit: float = 900) -> float:
    """Block until ``count`` workers listen and each ran a warm-up job; returns the seconds it took."""
    from rq import Worker

    from marketplace.core.jobs import jobs
    started = time.monotonic()
    with app.app_context():
        runner = jobs()
        while Worker.count(connection=runner.connection) < count and time.monotonic() - started < limit:
            time.sleep(1)
        for number in range(count):
            runner.queue("push").enqueue("bench.push.warm_up", job_id=f"warm-up-{number}-{time.time():.0f}")
    wait_idle(app, limit)
    return time.monotonic() - started


def wait_idle(app: Flask, limit: float = 3600) -> float:
    """Block until every queue and outbox row is done; returns the monotonic time it was first seen idle."""
    deadline = time.monotonic() + limit
    while not queues_idle(app) and time.monotonic() < deadline:
        time.sleep(0.25)
    return time.monotonic()


def publish_all(app: Flask, ids: list[int], rate: float) -> None:
    """Publish one patent per commit at ``rate`` per second through ``set_published``, as its owner would."""
    from marketplace.accounts.models import User
    from marketplace.core import transaction
    from marketplace.extensions import db
    from marketplace.patents.models import Patent
    from marketplace.patents.services import set_published
    started = time.monotonic()
    with app.test_request_context():
        owners = {user.organisation_id: user for user in db.session.scalars(select(User))}
        for number, patent_id in enumerate(ids):
            delay = started + number / rate - time.monotonic() if rate else 0
            if delay > 0:
                time.sleep(delay)
            set_published(owners[db.session.get(Patent, patent_id).owner_id], [patent_id], True)
            transaction.commit()
            db.session.expire_all()


def publish_in_bulk(app: Flask, ids: list[int]) -> None:
    """Each owner publishes all its drafts among ``ids`` in one ``set_published`` call and commit (bulk publish)."""
    from marketplace.accounts.models import User
    from marketplace.core import transaction
    from marketplace.extensions import db
    from marketplace.patents.models import Patent
    from marketplace.patents.services import set_published
    with app.test_request_context():
        owners = {user.organisation_id: user.id for user in db.session.scalars(select(User))}
        by_owner: dict[int, list[int]] = {}
        for patent_id, owner_id in db.session.execute(select(Patent.id, Patent.owner_id).where(Patent.id.in_(ids))):
            by_owner.setdefault(owner_id, []).append(patent_id)
        for owner_id, patent_ids in sorted(by_owner.items()):  # each user loaded after the last expunge_all
            set_published(db.session.get(User, owners[owner_id]), sorted(patent_ids), True)
            transaction.commit()
            db.session.expunge_all()


def _quantiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    if not values:
        return {}
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {"p50": round(cuts[49], 3), "p95": round(cuts[94], 3), "max": round(values[-1], 3)}


def measure(app: Flask, ids: list[int]) -> dict[str, object]:
    """Pushes, digest entries and their latencies for the patents ``ids`` (database timestamps)."""
    from marketplace.extensions import db
    from marketplace.patents.models import Patent
    from marketplace.push.models import DigestEntry, Notification, NotificationKind
    from marketplace.search.models import Match
    with app.app_context():
        rows = db.session.execute(
            select(Notification.created_at, Patent.published_at).join(Match, Match.id == Notification.match_id)
            .join(Patent, Patent.id == Match.patent_id)
            .where(Notification.kind == NotificationKind.MATCH_PUSHED, Patent.id.in_(ids))).all()
        digests = db.session.execute(
            select(DigestEntry.created_at, Patent.published_at).join(Patent, Patent.id == DigestEntry.entity_id)
            .where(DigestEntry.entity_type == "patent", DigestEntry.entity_id.in_(ids))).all()
        first_publication, last_publication = db.session.execute(
            select(func.min(Patent.published_at), func.max(Patent.published_at)).where(Patent.id.in_(ids))).one()
        patents_pushed = db.session.scalar(select(func.count(func.distinct(Match.patent_id))).where(
            Match.patent_id.in_(ids), Match.pushed_at.is_not(None)))
    if first_publication is None:
        return {"published": 0}
    latencies = [(created - published).total_seconds() for created, published in rows]
    digest_latencies = [(created - published).total_seconds() for created, published in digests]
    last = max([created for created, _ in rows] + [created for created, _ in digests], default=last_publication)
    wall = max((last - first_publication).total_seconds(), 1e-6)
    return {"published": len(ids), "pushes": len(latencies), "patents_with_pushes": patents_pushed,
            "digest_entries": len(digest_latencies),
            "publishing_seconds": round((last_publication - first_publication).total_seconds(), 2),
            "last_delivery_seconds": round(wall, 2),
            "pushes_per_second": round(len(latencies) / wall, 1),
            "deliveries_per_second": round((len(latencies) + len(digest_latencies)) / wall, 1),
            "latency": _quantiles(latencies), "digest_latency": _quantiles(digest_latencies)}


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def run_rate_phase(app: Flask, ids: list[int], args: argparse.Namespace) -> dict[str, object]:
    load_before = load_average()
    publish_all(app, ids, args.rate)
    wait_idle(app)
    result = measure(app, ids)
    p95 = result.get("latency", {}).get("p95")
    return {"phase": "rate", "rate": args.rate, **result,
            "target": "publish→inbox p95 ≤ 2 s at 10 publications/s with 2 workers",
            "met": p95 is not None and p95 <= 2.0, "load_before": load_before, "load_after": load_average()}


def run_bulk_phase(app: Flask, ids: list[int]) -> dict[str, object]:
    load_before = load_average()
    started = time.monotonic()
    publish_in_bulk(app, ids)
    published = time.monotonic()
    idle = wait_idle(app)
    result = measure(app, ids)
    return {"phase": "bulk", **result, "commit_seconds": round(published - started, 2),
            "idle_seconds": round(idle - started, 2),
            "target": f"{len(ids):,} patents fully pushed within 300 s", "met": idle - started <= 300,
            "load_before": load_before, "load_after": load_average()}


def main() -> None:
    global DATA
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patents", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--subs", type=int, default=1_000, help="subscribed companies (one subscription each)")
    parser.add_argument("--publish", type=int, default=10_000, help="drafts in the world (the bulk publication)")
    parser.add_argument("--trickle", type=int, default=1_000, help="drafts the rate phase publishes one by one")
    parser.add_argument("--phases", default="rate,bulk",
                        help='rate, bulk or both (comma-separated); "" builds the world and starts no worker')
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=10.0, help="publications per second (0: as fast as possible)")
    parser.add_argument("--daily-cap", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--es-url", default=None, help="Elasticsearch (default: the embedded index)")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder (default: ../shared/data)")
    parser.add_argument("--instance", type=Path, default=None, help="folder for the index and logs (default: new)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse --instance and the database of an earlier run: only re-publish its drafts")
    args = parser.parse_args()
    if args.reuse and (args.instance is None or not (args.instance / "draft_ids.json").exists()):
        parser.error("--reuse needs the --instance folder of an earlier run")
    DATA = args.data
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if not set(phases) <= {"rate", "bulk"}:
        parser.error("--phases: rate, bulk")

    from marketplace import create_app
    from marketplace.config import Settings
    instance = (args.instance or Path(tempfile.mkdtemp(prefix="bench-push-"))).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        sys.exit("redis-server is required")
    port = free_port()
    environ = {"MARKETPLACE_ENV": "testing", "SECRET_KEY": "bench", "REDIS_URL": f"redis://127.0.0.1:{port}/0",
               "DATABASE_URL": args.database_url or f"sqlite:///{instance / 'bench.sqlite'}"}
    if args.es_url:
        environ.update(ES_URL=args.es_url, ES_INDEX_PREFIX=f"bench-push-{instance.name.lower()}")
    env = {**os.environ, **environ, "BENCH_INSTANCE": str(instance), "BENCH_DAILY_CAP": str(args.daily_cap)}
    if not args.es_url:
        env.pop("ES_URL", None)
    app = create_app({"SETTINGS": Settings.from_env(instance, environ), "PUSH_DAILY_CAP": args.daily_cap,
                      "SERVER_NAME": "localhost"})
    redis = subprocess.Popen([redis_binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL)
    workers: list[subprocess.Popen] = []
    try:
        if args.reuse:
            ids = json.loads((instance / "draft_ids.json").read_text())
            reset_publications(app, ids)
            print(f"reusing {instance}: {len(ids)} drafts", flush=True)
        else:
            clock = time.monotonic()
            reset_database(app)
            ids = synthesise(app, args)
            (instance / "draft_ids.json").write_text(json.dumps(ids))
            print(f"data: {args.patents} patents ({args.publish} drafts), {args.needs} needs, {args.subs} "
                  f"subscriptions in {time.monotonic() - clock:.1f} s", flush=True)
            print(f"index rebuilt in {build_index(app):.1f} s", flush=True)
        if not phases:  # --phases "": the world only (bench/web_memory.py serves it)
            return
        log = (instance / "workers.log").open("a")
        workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "bench.push:worker_app", "worker"],
                                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT) for _ in range(args.workers)]
        print(f"{args.workers} workers up and warm in {wait_for_workers(app, args.workers):.1f} s", flush=True)
        common = {"workers": args.workers, "database": "postgresql" if args.database_url else "sqlite",
                  "search": "elasticsearch" if args.es_url else "embedded"}
        for number, phase in enumerate(phases):
            if number:
                reset_publications(app, ids)
            if phase == "rate":
                result = run_rate_phase(app, ids[: args.trickle], args)
            else:
                result = run_bulk_phase(app, ids)
            print(json.dumps({**common, **result}, ensure_ascii=False), flush=True)
        print(f"worker log: {instance / 'workers.log'}")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=10)


if __name__ == "__main__":
    main()
