"""What a serving process does once it has started, so garbage collection stays off its requests and its
memory does not grow with its request threads."""
from __future__ import annotations

import ctypes
import gc

M_ARENA_MAX = -8  # glibc's mallopt parameters
M_MMAP_THRESHOLD = -3


def freeze_startup_heap() -> None:
    """Move everything alive now (code, templates, the segment taxonomy, the matching tables) out of the
    collector's reach: it lives as long as the process, and a full collection would otherwise walk it on some
    unlucky request (bench/pages.py: single requests of ~200 ms on otherwise 10–30 ms pages, gone once frozen;
    bench/stats.py: one dashboard in five ~200 ms slower)."""
    gc.collect()
    gc.freeze()


def tune_allocator(arenas: int = 2, mmap_threshold: int = 256 * 1024) -> bool:
    """Set glibc's malloc up for a threaded server, before request threads start (bench/web_memory.py at 100,000
    patents). False where malloc is not glibc's.

    - At most ``arenas`` arenas: each new thread otherwise gets one of its own (up to 8 per core) that keeps what
      it freed, so the RSS grew with the request threads (456 → 414 MiB after 500 searches).
    - A fixed mmap threshold: glibc otherwise raises it to the largest block it has given back (up to 32 MiB;
      loading the vector matrix raises it), after which a request's temporary arrays (100,000 scores, masks:
      0.4–4 MiB each) come from the heap, where what they leave between longer-lived blocks stays resident
      (one client, 400 searches: 322 → 304 MiB). Blocks from ``mmap_threshold`` up are mapped and unmapped.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, arenas)) and bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold))
    except (OSError, AttributeError):
        return False
