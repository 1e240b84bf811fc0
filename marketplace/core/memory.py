"""What a serving process does once it has started, so garbage collection stays off its requests."""
from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Move everything alive now (code, templates, the segment taxonomy, the matching tables) out of the
    collector's reach: it lives as long as the process, and a full collection would otherwise walk it on some
    unlucky request (bench/pages.py: single requests of ~200 ms on otherwise 10–30 ms pages, gone once frozen;
    bench/stats.py: one dashboard in five ~200 ms slower)."""
    gc.collect()
    gc.freeze()
