"""JSON API v1: flask-smorest blueprints per feature, one error shape, bearer tokens.

The OpenAPI document is generated from the code at ``/api/v1/openapi.json``
and rendered at ``/api/v1/docs`` with the vendored Swagger UI.
"""
from __future__ import annotations

import flask_smorest
from flask import Flask

from marketplace.api.parser import MarketplaceParser
from marketplace.extensions import api, csrf

# Every feature blueprint parses its arguments with the input limits of core.inputs. Set here, in the
# package every feature's api.py imports (through api.common) before its decorators bind the parser.
flask_smorest.Blueprint.ARGUMENTS_PARSER = MarketplaceParser()


def init_app(app: Flask) -> None:
    from marketplace.api import common
    from marketplace.accounts import api as accounts_api
    from marketplace.agencies import api as agencies_api
    from marketplace.approvals import api as approvals_api
    from marketplace.cnipa import api as cnipa_api
    from marketplace.consents import api as consents_api
    from marketplace.console import api as console_api
    from marketplace.dashboard import api as dashboard_api
    from marketplace.deals import api as deals_api
    from marketplace.grading import api as grading_api
    from marketplace.fees import api as fees_api
    from marketplace.imports import api as imports_api
    from marketplace.lookup import api as lookup_api
    from marketplace.needs import api as needs_api
    from marketplace.openlicense import api as openlicense_api
    from marketplace.patents import api as patents_api
    from marketplace.pledges import api as pledges_api
    from marketplace.pricing import api as pricing_api
    from marketplace.push import api as push_api
    from marketplace.saved import api as saved_api
    from marketplace.rewards import api as rewards_api
    from marketplace.royalties import api as royalties_api
    from marketplace.search import api as search_api
    from marketplace.segments import api as segments_api

    api.ERROR_SCHEMA = common.ErrorSchema  # every documented error (422s, the default response) has our one shape
    common.serialise_naive_datetimes_as_utc()
    api.init_app(app, spec_kwargs={"info": {"description": "专利供需对接与开放许可平台 API. "
                                           "Authenticate with `Authorization: Bearer <token>` "
                                           "(create one at /account/tokens or POST /api/v1/auth/token)."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    api.register_field(common.Money, "string", None)  # money travels as a string (pattern in Money)
    api.ma_plugin.converter.add_attribute_function(common.document_decimal_strings)
    app.before_request(common.authenticate_writes_first)
    for module in (accounts_api, patents_api, needs_api, segments_api, search_api, imports_api, openlicense_api,
                   deals_api, pledges_api, consents_api, push_api, agencies_api, console_api, dashboard_api, saved_api,
                   grading_api, approvals_api, royalties_api, rewards_api, fees_api, pricing_api, cnipa_api,
                   lookup_api):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.blp.url_prefix or ''}")
