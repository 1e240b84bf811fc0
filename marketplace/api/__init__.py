"""JSON API v1: flask-smorest blueprints per feature, one error shape, bearer tokens.

The OpenAPI document is generated from the code at ``/api/v1/openapi.json``
and rendered at ``/api/v1/docs`` with the vendored Swagger UI.
"""
from __future__ import annotations

from flask import Flask

from marketplace.extensions import api, csrf


def init_app(app: Flask) -> None:
    from marketplace.api import common
    from marketplace.accounts import api as accounts_api
    from marketplace.agencies import api as agencies_api
    from marketplace.console import api as console_api
    from marketplace.deals import api as deals_api
    from marketplace.imports import api as imports_api
    from marketplace.needs import api as needs_api
    from marketplace.openlicense import api as openlicense_api
    from marketplace.patents import api as patents_api
    from marketplace.pledges import api as pledges_api
    from marketplace.push import api as push_api
    from marketplace.search import api as search_api
    from marketplace.segments import api as segments_api

    api.init_app(app, spec_kwargs={"info": {"description": "专利供需对接与开放许可平台 API. "
                                           "Authenticate with `Authorization: Bearer <token>` "
                                           "(create one at /account/tokens or POST /api/v1/auth/token)."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    common.register_error_schema(api)
    for module in (accounts_api, patents_api, needs_api, segments_api, search_api, imports_api, openlicense_api, deals_api, pledges_api, push_api, agencies_api, console_api):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.blp.url_prefix or ''}")
