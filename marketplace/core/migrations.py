"""``flask db …`` (Flask-Migrate over Alembic), loaded when a migration command runs: importing Alembic at
startup cost every serving process ~12 MiB it never used (bench/web_memory.py)."""
from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo


def init_app(app: Flask) -> None:
    app.cli.add_command(_MigrationCommands("db", help="Database migrations (Flask-Migrate: upgrade, migrate …)."))


def bind(app: Flask) -> None:
    """Flask-Migrate on ``app``, as ``flask_migrate.upgrade``/``downgrade`` and the migration scripts need it."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from marketplace import ROOT
    from marketplace.extensions import db, include_in_autogenerate

    Migrate(db=db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True,
            include_object=include_in_autogenerate).init_app(app)


class _MigrationCommands(click.Group):
    """Stands for Flask-Migrate's ``db`` group until it is invoked: then imports it, binds it to the app and hands
    it the arguments, so its own options (``-d``, ``-x``) and subcommands apply unchanged."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        script = parent.ensure_object(ScriptInfo) if parent is not None else ScriptInfo()
        bind(script.load_app())
        from flask_migrate.cli import db as commands

        context: click.Context = commands.make_context(info_name, args, parent=parent, **extra)
        return context
