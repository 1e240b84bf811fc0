"""``flask`` commands: demo data, outbox, admin accounts. Each command is one unit of work."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace.core import outbox, transaction

outbox_cli = AppGroup("outbox", help="Inspect and drain the transactional outbox.")


@outbox_cli.command("status")
def outbox_status() -> None:
    """Pending rows per consumer."""
    counts = outbox.pending_counts()
    for name in outbox.consumer_names():
        click.echo(f"{name}: {counts.get(name, 0)} pending")


@outbox_cli.command("drain")
@click.option("--consumer", "consumers", multiple=True, help="Only these consumers (default: all).")
def outbox_drain(consumers: tuple[str, ...]) -> None:
    """Deliver pending rows now (what the sweep job does periodically)."""
    for name in consumers or outbox.consumer_names():
        click.echo(f"{name}: {outbox.drain(name)} delivered")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if the database already holds organisations.")
def seed_demo(force: bool) -> None:
    """Load the demo organisations, users, patents and needs (only into an empty database)."""
    from marketplace.demo import seed
    created = seed(force=force)
    transaction.commit()
    click.echo("demo data: " + (", ".join(f"{k}={v}" for k, v in created.items()) if created else "already present, skipped"))


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


def init_app(app: Flask) -> None:
    for command in (outbox_cli, seed_demo, create_admin):
        app.cli.add_command(command)
