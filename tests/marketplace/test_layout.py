"""Layout rules every template keeps (the browser walk in tests/browser/test_role_journeys.py checks the pages)."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_table_scrolls_in_its_own_box_on_narrow_screens():
    """A wide table must never widen the page at 390 px: each sits in a ``.table-responsive`` box."""
    bare = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<table\b", text):
            if not text[:match.start()].rstrip().endswith('<div class="table-responsive">'):
                bare.append(f"{template.relative_to(TEMPLATES)}:{text.count(chr(10), 0, match.start()) + 1}")
    assert bare == []
