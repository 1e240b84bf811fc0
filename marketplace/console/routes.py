"""Pages of the agency console."""
from __future__ import annotations

from flask import Blueprint

from marketplace.console import rollup

bp = Blueprint("console", __name__)
bp.record_once(lambda _state: rollup.register())
