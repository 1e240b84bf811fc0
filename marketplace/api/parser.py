"""The request parser of every API endpoint: webargs' Flask parser with the input limits of ``core.inputs``.

JSON bodies are read by ``core.inputs.load_json`` (depth, 64-bit integers,
lone surrogates, no NaN); query, form and path values are checked the same way
once the schema has turned them into numbers, so an id like
9223372036854775808 is a 422 naming its field instead of an ``OverflowError``
deep in the database driver.
"""
from __future__ import annotations

from typing import Any, NoReturn

from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import BadRequest

from marketplace.core.inputs import InputRejected, check_value, load_json


class MarketplaceParser(FlaskParser):
    """``FlaskParser`` whose JSON loading and results obey ``core.inputs``."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return load_json(req.get_data(cache=True))
        except InputRejected as rejected:
            self._reject(rejected)

    def parse(self, argmap: Any, req: Any = None, *, location: str | None = None, **kwargs: Any) -> Any:
        data = super().parse(argmap, req, location=location, **kwargs)
        try:
            check_value(data)
        except InputRejected as rejected:
            self._reject(rejected)
        return data

    @staticmethod
    def _reject(rejected: InputRejected) -> NoReturn:
        if rejected.status == 422:
            abort(422, exc=ValidationError(rejected.fields), messages={"json": rejected.fields})
        raise BadRequest(description=rejected.message)
