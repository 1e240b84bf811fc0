"""专利供需对接与开放许可平台 — the Flask application.

``create_app`` is the only entry point: it reads configuration, binds the
extensions and registers one blueprint per feature. Nothing connects to a
server at import time.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

# Before numpy is first imported (OpenBLAS reads it once): matching multiplies one vector by a matrix of
# 10^4–10^5 rows per request or job, which one thread does in about a millisecond; OpenBLAS's default thread
# per core only fights the other processes for the cores (a bench/push.py push job of 20 patents 2.5–2.9 →
# 1.4 s at load 2.3, each need-vector product 1.1 ms instead of 24 ms at load 7). Set it to run otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from flask import Flask  # noqa: E402

from marketplace.config import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides settings (tests pass ``SETTINGS`` or Flask keys)."""
    app = Flask(__name__, instance_path=str(ROOT / "instance"), instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    config = dict(config or {})
    settings: Settings = config.pop("SETTINGS", None) or Settings.from_env(Path(app.instance_path))
    app.config.update(settings.flask_config())
    app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from marketplace import extensions, web
    from marketplace.core import jobs, migrations, outbox, sqlite, text, transaction
    from marketplace.fees import schedule as fee_schedule
    from marketplace.search import backend as search_backend
    from marketplace.pricing import points as price_points
    from marketplace.push import jobs as push_jobs
    from marketplace.saved import jobs as saved_jobs
    from marketplace.search import indexing
    from marketplace.segments import concordance
    from marketplace.segments.taxonomy import Taxonomy

    extensions.db.init_app(app)
    sqlite.init_app(app)  # WAL, busy timeout, BEGIN IMMEDIATE for writers (embedded default only)
    text.install(extensions.db.session)  # stored text stays NFC, free of control characters
    migrations.init_app(app)  # `flask db …`, Alembic imported only when one runs
    extensions.csrf.init_app(app)
    app.extensions["taxonomy"] = Taxonomy.load(settings.extra_segment_file)
    fee_schedule.init_app(app)  # the annual-fee schedule (data); a malformed file stops the app here
    concordance.init_app(app)
    jobs.init_app(app, idle_job=transaction.sweep_outbox)
    search_backend.init_app(app)
    outbox.init_app(app)  # this app's consumers, in pipeline order: index, then push
    transaction.register_jobs()
    indexing.register(app)
    push_jobs.register(app)  # after search: see push.jobs on ordering
    saved_jobs.register()
    price_points.register(app)  # pricing help's comparables, kept from the ledger's changes
    web.init_app(app)
    _register_features(app)
    _register_acts()
    _register_hooks(app)
    return app


def _register_features(app: Flask) -> None:
    """One blueprint (and API blueprint) per feature package."""
    from marketplace import api, cli, health, home
    from marketplace.accounts import routes as accounts_routes
    from marketplace.agencies import routes as agencies_routes
    from marketplace.consents import routes as consents_routes
    from marketplace.console import routes as console_routes
    from marketplace.dashboard import routes as dashboard_routes
    from marketplace.approvals import routes as approvals_routes
    from marketplace.cnipa import routes as cnipa_routes
    from marketplace.deals import routes as deals_routes
    from marketplace.grading import routes as grading_routes
    from marketplace.fees import routes as fees_routes
    from marketplace.imports import routes as imports_routes
    from marketplace.needs import routes as needs_routes
    from marketplace.openlicense import routes as openlicense_routes
    from marketplace.patents import routes as patents_routes
    from marketplace.pledges import routes as pledges_routes
    from marketplace.pricing import routes as pricing_routes
    from marketplace.saved import routes as saved_routes
    from marketplace.push import routes as push_routes
    from marketplace.rewards import routes as rewards_routes
    from marketplace.royalties import routes as royalties_routes
    from marketplace.search import routes as search_routes
    from marketplace.segments import routes as segments_routes

    for module in (home, accounts_routes, patents_routes, needs_routes, segments_routes, search_routes, imports_routes,
                   openlicense_routes, deals_routes, pledges_routes, consents_routes, push_routes, agencies_routes,
                   console_routes, dashboard_routes, saved_routes, grading_routes, approvals_routes,
                   royalties_routes, rewards_routes, fees_routes, pricing_routes, cnipa_routes, health):
        app.register_blueprint(module.bp)
    api.init_app(app)
    cli.init_app(app)


def _register_acts() -> None:
    """Each two-sided act's rules (who consents, what it does) in the one registry of ``consents.services``."""
    from marketplace.deals import acts as deal_acts
    from marketplace.deals import payments as deal_payments
    from marketplace.fees import abandonment
    from marketplace.openlicense import acts as open_license_acts
    from marketplace.pledges import acts as pledge_acts

    for module in (deal_acts, deal_payments, pledge_acts, open_license_acts, abandonment):
        module.register()


def _register_hooks(app: Flask) -> None:
    """Rules of higher packages that must see a lower package's change in its own transaction."""
    from marketplace.approvals import gate
    from marketplace.grading.hooks import after_patent_change
    from marketplace.openlicense.services import recheck_after_patent_change
    from marketplace.patents.services import on_patent_change

    on_patent_change(app, recheck_after_patent_change)  # a lapsed or disputed patent suspends its open license

    on_patent_change(app, after_patent_change)  # a grade changed anywhere is kept in the grade history
    gate.register()  # a university's internal approval and publicity hold back its consents
    _provide_slots(app)


def _provide_slots(app: Flask) -> None:
    """What lower packages read from higher ones (``core.slots``): the legal facts deals and pledges keep, and
    search's "open license" flag kept by open licenses."""
    from marketplace.deals import records as deal_records
    from marketplace.openlicense import facts
    from marketplace.pledges import records as pledge_records
    from marketplace.search import documents, indexing

    facts.EXCLUSIVE_LICENSE_IN_FORCE.provide(app, deal_records.exclusive_license_in_force)
    facts.DEAL_LICENSE_TERMS.provide(app, deal_records.license_terms)
    facts.PLEDGE_COUNTS.provide(app, pledge_records.pledge_counts)
    facts.PLEDGEES.provide(app, pledge_records.pledgees)
    documents.OPEN_LICENSED.provide(app, facts.published_patent_ids)
    indexing.DECLARED_PATENTS.provide(app, facts.patents_of_declarations)
