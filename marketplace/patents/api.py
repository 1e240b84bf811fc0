"""API of the patents feature (being written)."""
from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("patents_api", __name__, url_prefix="/patents", description="patents")
