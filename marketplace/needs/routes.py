"""Pages of the needs feature (being written)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("needs", __name__)
