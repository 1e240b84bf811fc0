"""Pages of the patents feature (being written)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("patents", __name__)
