"""How fast does an inventory import go? Rows per second for a 10,000-row CSV and XLSX.

Builds both files from the real records in ../shared/data/patents (title,
abstract, application number, IPC, and where the source has them applicant,
dates, legal status), adds the office's own columns (分级, 产业领域, 转化方式,
价格, 成熟度, 标签), imports each into a fresh database as a university and
prints rows/s for: the import itself (read + validate + write + commit), a
second, idempotent import of the same file (all rows unchanged), and with
``--drain`` the search-index drain that production runs afterwards as a
background job (not part of the import request).

    .venv/bin/python bench/import_rows.py [--rows 10000] [--drain] [--database-url postgresql://…/mt_import]

Without ``--database-url`` it uses a fresh SQLite file; with it, it also runs
on that PostgreSQL database after emptying its public schema (use a database
of your own). Wall time depends on what else the machine runs; the
importing process's CPU time is printed too (for SQLite it is nearly all the
work). If the data holds fewer records with valid application numbers
than ``--rows``, the rest get generated numbers with correct check digits and
the output says how many.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

# ../shared/data from the main checkout; a worktree (wt/<name>) finds it one level further up
DATA = next((d for d in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data") if d.is_dir()),
            ROOT.parent / "shared" / "data") / "patents" / "cn_patents_with_abstract.jsonl"
HEADERS = ["申请号", "名称", "专利类型", "申请日", "公开（公告）号", "公开（公告）日", "授权公告日", "主分类号", "分类号",
           "申请（专利权）人", "发明（设计）人", "法律状态", "摘要", "主权项", "分级", "产业领域", "转化方式", "价格（万元）",
           "成熟度", "标签"]
OFFICE = [("A", "新一代信息技术", "转让、许可", "10-20", "通过中试", "智慧农业"),
          ("B", "高端装备制造", "许可", "50", "通过小试", "农机"),
          ("C", "新材料", "转让", "面议", "正在研发", "")]
ORG_NAME = "基准测试大学"


def load_records(wanted: int) -> tuple[list[dict], int]:
    """Real records with valid application numbers; generated numbers fill any shortfall (counted)."""
    from marketplace.patents.numbers import check_character, normalise_application_number
    from marketplace.core.errors import ValidationFailed
    records: list[dict] = []
    seen: set[str] = set()
    with DATA.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            try:
                number = normalise_application_number(record.get("app_no") or "")
            except ValidationFailed:
                continue
            if number not in seen:
                seen.add(number)
                records.append({**record, "app_no": number})
            if len(records) == wanted:
                return records, 0
    generated = 0
    serial = 0
    while len(records) < wanted:
        serial += 1
        digits = f"20251{serial:07d}"
        number = f"{digits}.{check_character(digits)}"
        if number in seen:
            continue
        base = records[len(records) % len(seen)]
        records.append({**base, "app_no": number})
        seen.add(number)
        generated += 1
    return records, generated


def row_of(record: dict, index: int) -> list[str]:
    extra = record.get("extra") or {}
    ipc_main = record.get("ipc_main") or ""
    ipc_codes = extra.get("分类号") or (";".join(record.get("ipc") or []) if ipc_main else "")
    return [record["app_no"], record["title"], record.get("patent_type") or "",
            extra.get("申请日") or "", record.get("pub_no") or "",
            extra.get("公开日") or extra.get("公开（公告）日") or "", extra.get("授权公告日") or "",
            ipc_main, ipc_codes, record.get("applicant") or ORG_NAME,
            extra.get("发明人") or extra.get("发明（设计）人") or "", record.get("legal_status") or "",
            record["abstract"], extra.get("主权项") or "", *OFFICE[index % len(OFFICE)]]


def write_files(rows: list[list[str]], folder: Path) -> dict[str, Path]:
    from openpyxl import Workbook
    csv_path = folder / "inventory.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["高校专利清单（导出）"])
        writer.writerow(HEADERS)
        writer.writerows(rows)
    xlsx_path = folder / "inventory.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("专利清单")
    sheet.append(["高校专利清单（导出）"])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    workbook.save(xlsx_path)
    return {"csv": csv_path, "xlsx": xlsx_path}


def run(database_url: str, path: Path, instance: Path, drain: bool) -> dict[str, float]:
    """Import ``path`` twice into an empty database; seconds for each step."""
    from marketplace import create_app
    from marketplace.accounts import services as accounts
    from marketplace.config import Settings
    from marketplace.core import outbox, transaction
    from marketplace.extensions import db
    from marketplace.imports import services as imports
    from marketplace.patents.models import Patent

    settings = Settings.from_env(instance, {"MARKETPLACE_ENV": "testing", "SECRET_KEY": "bench",
                                            "DATABASE_URL": database_url})
    app = create_app({"SETTINGS": settings, "SERVER_NAME": "localhost"})
    timings: dict[str, float] = {}
    with app.test_request_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
        user = accounts.register_organisation(kind="university", name=ORG_NAME, credit_code=_credit_code(), region_code="520100",
                                              email="bench@univ.test", user_name="bench", password="bench-password")
        transaction.commit()
        for label in ("import", "reimport"):
            started, cpu_started = time.perf_counter(), time.process_time()
            with path.open("rb") as handle:
                batch = imports.import_inventory(user, path.name, handle)
            touched = outbox.take_touched_consumers()
            db.session.commit()
            timings[label] = time.perf_counter() - started
            timings[f"{label}_cpu"] = time.process_time() - cpu_started
            timings[f"{label}_counts"] = (batch.created_count, batch.updated_count, batch.unchanged_count,
                                          batch.failed_count)
            started = time.perf_counter()
            for consumer in touched if drain else ():  # pipeline order
                transaction.drain_outbox(consumer)
            timings[f"{label}_drain"] = time.perf_counter() - started
        timings["patents"] = db.session.scalar(select(func.count()).select_from(Patent))
        db.session.remove()
        db.engine.dispose()
    return timings


def _credit_code() -> str:
    from marketplace.accounts.identifiers import credit_code_check
    body = "91520100MA6DB3C4X"
    return body + credit_code_check(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", help="also run on this PostgreSQL database (its schema is emptied)")
    parser.add_argument("--drain", action="store_true", help="also time the search-index drain after each import")
    args = parser.parse_args()

    records, generated = load_records(args.rows)
    print(f"{len(records)} rows from {DATA.name}: {len(records) - generated} real records"
          + (f", {generated} with generated application numbers (valid check digits)" if generated else ""))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        files = write_files([row_of(r, i) for i, r in enumerate(records)], work)
        targets = [("sqlite", f"sqlite:///{work / 'bench.sqlite'}")]
        if args.database_url:
            targets.append(("postgresql", args.database_url))
        for database, url in targets:
            for fmt, path in files.items():
                if database == "sqlite":
                    (work / "bench.sqlite").unlink(missing_ok=True)
                t = run(url, path, work / "instance", args.drain)
                created, updated, unchanged, failed = t["import_counts"]
                print(f"{database:10} {fmt:4} {path.stat().st_size / 1e6:5.1f} MB | import {t['import']:5.2f}s "
                      f"= {args.rows / t['import']:6.0f} rows/s (CPU {t['import_cpu']:5.2f}s = "
                      f"{args.rows / t['import_cpu']:6.0f} rows/s; created {created}, failed {failed}) | "
                      f"re-import {t['reimport']:5.2f}s = {args.rows / t['reimport']:6.0f} rows/s "
                      f"(unchanged {t['reimport_counts'][2]}) | patents in db {t['patents']}"
                      + (f" | search drain {t['import_drain']:5.2f}s" if args.drain else ""))


if __name__ == "__main__":
    main()
