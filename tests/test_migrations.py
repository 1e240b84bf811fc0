"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.core import migrations
from marketplace.extensions import EXPRESSION_INDEXES, db, include_in_autogenerate
from tests.conftest import test_settings


@pytest.fixture
def empty_database_url(tmp_path: Path):
    """A brand-new database of the suite's kind: a SQLite file, or a fresh PostgreSQL database."""
    suite_url = os.environ.get("DATABASE_URL")
    if not suite_url:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    url = make_url(test_settings(tmp_path).database_url)
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_matches_models_and_downgrade_works(tmp_path, empty_database_url):
    settings = test_settings(tmp_path).replace(database_url=empty_database_url)
    app = create_app({"SETTINGS": settings, "TESTING": True})
    migrations.bind(app)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "include_object": include_in_autogenerate})
            differences = compare_metadata(context, db.metadata)
            indexes = set(connection.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'index'" if connection.dialect.name == "sqlite"
                else "SELECT indexname FROM pg_indexes WHERE tablename = 'patents'")))
        assert differences == [], f"models and migrations differ: {differences}"
        assert EXPRESSION_INDEXES <= indexes
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def test_flask_db_runs_migrations_without_a_serving_app_importing_alembic(tmp_path, empty_database_url):
    """A serving process never imports Alembic (~12 MiB); ``flask db …`` loads and binds it when one runs."""
    served = subprocess.run(
        [sys.executable, "-c", "import sys; from marketplace import create_app; create_app(); "
                               "print('alembic' in sys.modules, 'flask_migrate' in sys.modules)"],
        capture_output=True, text=True, check=True)
    assert served.stdout.split() == ["False", "False"]
    settings = test_settings(tmp_path).replace(database_url=empty_database_url)
    app = create_app({"SETTINGS": settings, "TESTING": True})
    runner = app.test_cli_runner()
    assert "upgrade" in runner.invoke(args=["db", "--help"]).output
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "patents" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        db.engine.dispose()
