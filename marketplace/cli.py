"""``flask`` commands: demo data, outbox, admin accounts. Each command is one unit of work."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from marketplace.core import jobs, outbox, transaction

outbox_cli = AppGroup("outbox", help="Inspect and drain the transactional outbox.")


@outbox_cli.command("status")
def outbox_status() -> None:
    """Pending and dead-lettered rows per consumer, in pipeline order."""
    counts = outbox.pending_counts()
    dead: dict[str, int] = {}
    for event in outbox.dead_letters(limit=100_000):
        dead[event.consumer] = dead.get(event.consumer, 0) + 1
    for name in outbox.consumer_names():
        click.echo(f"{name}: {counts.get(name, 0)} pending, {dead.get(name, 0)} dead")


@outbox_cli.command("drain")
@click.option("--consumer", "consumers", multiple=True, help="Only these consumers (default: all).")
def outbox_drain(consumers: tuple[str, ...]) -> None:
    """Deliver pending rows now (what the sweep job does periodically)."""
    for name in consumers or outbox.consumer_names():
        click.echo(f"{name}: {outbox.drain(name)} delivered")


@outbox_cli.command("revive")
@click.option("--consumer", default=None, help="Only this consumer's dead-lettered rows (default: all).")
def outbox_revive(consumer: str | None) -> None:
    """Put dead-lettered rows back in the queue with a fresh attempt budget, then drain them."""
    if consumer is not None and consumer not in outbox.consumer_names():
        raise click.BadParameter(f"one of: {', '.join(outbox.consumer_names())}", param_hint="--consumer")
    click.echo(f"{outbox.revive(consumer)} revived")
    for name in [consumer] if consumer else outbox.consumer_names():
        click.echo(f"{name}: {outbox.drain(name)} delivered")


@outbox_cli.command("purge")
@click.option("--days", type=click.IntRange(min=0), default=outbox.KEEP_PROCESSED.days, show_default=True,
              help="Keep rows processed within this many days.")
def outbox_purge(days: int) -> None:
    """Delete processed rows (what the daily outbox-purge job does)."""
    click.echo(f"{outbox.purge_processed(timedelta(days=days))} purged")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if the database already holds organisations.")
def seed_demo(force: bool) -> None:
    """Load the demo organisations, users, patents and needs (only into an empty database)."""
    from marketplace.demo import seed
    created = seed(force=force)
    transaction.commit()
    jobs.settle()  # the demo data indexed and pushed before the command returns
    click.echo("demo data: " + (", ".join(f"{k}={v}" for k, v in created.items()) if created else "already present, skipped"))


@click.command("shorten-publicity")
@click.argument("notice_id", type=int)
@click.option("--days", default=0, show_default=True, help="Days the notice still runs from its first day.")
def shorten_publicity(notice_id: int, days: int) -> None:
    """Demo only: cut a publicity notice's period short so the act can be confirmed (refused outside DEMO_MODE)."""
    from marketplace.approvals.publicity import shorten
    notice = shorten(None, notice_id, days)
    transaction.commit()
    click.echo(f"notice {notice.id} now ends on {notice.ends_on.isoformat()}")


@click.command("office-report")
@click.argument("email")
@click.argument("year", type=int)
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--rewards", "what", flag_value="rewards", help="The finance office's rewards sheet instead.")
@click.option("--report", "what", flag_value="report", default=True, help="The yearly report (default).")
@with_appcontext
def office_report(email: str, year: int, out: str, what: str) -> None:
    """Write an institution's yearly report for the authorities (or its rewards sheet) as XLSX, read as the
    member EMAIL of the institution (the same access as the pages: members only)."""
    from marketplace.core.spreadsheets import to_xlsx
    from marketplace.rewards import report, services
    user = _user(email)
    if what == "rewards":
        headers, rows = services.finance_rows(services.overview(user, year))
        data = to_xlsx([("rewards", headers, rows)])
    else:
        data = to_xlsx(report.report_sheets(report.authority_report(user, year)))
    with open(out, "wb") as handle:
        handle.write(data)
    click.echo(f"{what} {year} written to {out}")


@click.command("cnipa-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "email", required=True, help="The importing user (a patentee's member, an agency's or an admin).")
@click.option("--mode", type=click.Choice(["valid_only", "all_or_nothing"]), default="valid_only", show_default=True)
@with_appcontext
def cnipa_import(path: str, email: str, mode: str) -> None:
    """Import a CNIPA open-license announcement list (CSV/XLSX) as the user EMAIL would upload it; prints each
    row's outcome and every bad cell (exit status 1 when a row was bad)."""
    from pathlib import Path

    from marketplace.cnipa import services
    from marketplace.core.errors import DomainError
    user = _user(email)
    try:
        with open(path, "rb") as handle:
            batch = services.import_announcements(user, Path(path).name, handle, mode=mode)
    except DomainError as refused:
        transaction.rollback()
        raise click.ClickException(refused.message) from None
    transaction.commit()
    jobs.settle()
    report = services.report_of(batch)
    for line in report["rows"]:
        click.echo(f"row {line['row']}: {line['application_number']} {line['outcome']} {line['reason']}".rstrip())
    for error in report["errors"]:
        click.echo(f"row {error['row']}: {error['column'] or error['field']}: {error['reason']}", err=True)
    click.echo(f"created {report['created']}, updated {report['updated']}, unchanged {report['unchanged']}, "
               f"conflicts {report['conflicts']}, not on the platform {report['not_on_platform']}, "
               f"failed {report['failed']} (import {batch.id})")
    if report["failed"]:
        raise SystemExit(1)


@click.command("cnipa-export")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--status", type=click.Choice(["published", "withdrawn", "ended", "all"]), default="published",
              show_default=True)
@click.option("--segment", default="", help="An industry segment code.")
@click.option("--owner-id", type=int, default=None, help="Only this organisation's declarations.")
@with_appcontext
def cnipa_export(out: str, status: str, segment: str, owner_id: int | None) -> None:
    """Write the platform's open-license declarations in the announcement layout (OUT ends in .csv or .xlsx)."""
    from marketplace.cnipa import services
    from marketplace.core.spreadsheets import to_csv, to_xlsx
    if not out.endswith((".csv", ".xlsx")):
        raise click.BadParameter("OUT must end in .csv or .xlsx", param_hint="OUT")
    found = services.export_declarations(services.parse_export_filters(
        {"status": status, "segment": segment, "owner_id": owner_id}))
    headers, rows = services.export_headers(), services.export_rows(found)
    data = to_csv(headers, rows) if out.endswith(".csv") else to_xlsx([("open-licenses", headers, rows)])
    with open(out, "wb") as handle:
        handle.write(data)
    click.echo(f"{len(rows)} declarations written to {out}")


def _user(email: str):
    from sqlalchemy import select

    from marketplace.accounts.models import User
    from marketplace.extensions import db
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.BadParameter(f"no user {email}", param_hint="EMAIL")
    return user


@click.command("create-admin")
@click.argument("email")
@click.password_option()
def create_admin(email: str, password: str) -> None:
    """Create a platform administrator (not tied to an organisation)."""
    from werkzeug.security import generate_password_hash

    from marketplace.accounts.models import User
    from marketplace.extensions import db
    db.session.add(User(email=email.strip().lower(), name="Platform admin", is_platform_admin=True,
                        password_hash=generate_password_hash(password)))
    transaction.commit()
    click.echo(f"platform admin {email} created")


@click.command("worker")
@click.option("--queues", default="index,push,mail,digest,default", show_default=True,
              help="Comma-separated queues, highest priority first.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--fork", is_flag=True, help="Fork a work horse per job (isolation) instead of running jobs in-process.")
@with_appcontext
def worker(queues: str, burst: bool, fork: bool) -> None:
    """Run an RQ worker (needs REDIS_URL)."""
    from flask import current_app

    from marketplace.core.worker import make_worker
    runner = jobs.jobs()
    if runner.inline:
        raise click.UsageError("REDIS_URL is not set: jobs run inline, no worker needed")
    rq_worker = make_worker(current_app._get_current_object(), queues.split(","), fork=fork)  # type: ignore[attr-defined]
    from marketplace.search.backend import search_backend
    search_backend().analyzer.tokens("预热")  # load jieba once, before any job (forked horses inherit it too)
    if not burst:  # periodic jobs (outbox sweep, digests …), see core.scheduler
        from marketplace.core.scheduler import start_scheduler
        start_scheduler(runner)
    rq_worker.work(burst=burst, with_scheduler=True)


@click.command("reindex")
@with_appcontext
def reindex() -> None:
    """Rebuild the search indices from the database into new versions, then swap the aliases (no downtime)."""
    from marketplace.search.documents import rows_to_read
    from marketplace.search.indexing import rebuild_indices
    # On a terminal: rows read and analysed so far and the time left. On Elasticsearch the patents' index merges
    # while the needs load; what is left of that merge (12-18 s per 100,000 patents on two cores) follows the bar.
    with click.progressbar(length=rows_to_read(), label="patents and needs indexed", show_pos=True) as bar:
        report, replayed = rebuild_indices(progress=bar.update)
    transaction.commit()  # the replayed changes' new vectors and analyses (the rebuild committed its own)
    click.echo(f"indexed {report.patents} patents into {report.patent_index}, "
               f"{report.needs} needs into {report.need_index} in {report.seconds:.1f} s; "
               f"replayed {replayed} changes made during the rebuild")


def init_app(app: Flask) -> None:
    for command in (outbox_cli, seed_demo, shorten_publicity, office_report, cnipa_import, cnipa_export, create_admin,
                    worker, reindex):
        app.cli.add_command(command)
