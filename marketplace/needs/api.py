"""API of the needs feature (being written)."""
from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("needs_api", __name__, url_prefix="/needs", description="needs")
