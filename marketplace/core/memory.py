"""What a serving process does once it has started, so garbage collection stays off its requests and its
memory does not grow with its request threads."""
from __future__ import annotations

import ctypes
import gc

M_ARENA_MAX = -8  # glibc's mallopt parameter


def freeze_startup_heap() -> None:
    """Move everything alive now (code, templates, the segment taxonomy, the matching tables) out of the
    collector's reach: it lives as long as the process, and a full collection would otherwise walk it on some
    unlucky request (bench/pages.py: single requests of ~200 ms on otherwise 10–30 ms pages, gone once frozen;
    bench/stats.py: one dashboard in five ~200 ms slower)."""
    gc.collect()
    gc.freeze()


def limit_allocator_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas before request threads start. Each new thread otherwise gets an arena of its
    own (up to 8 per core) that keeps what it freed, so a threaded server's RSS grows with its threads
    (bench/web_memory.py at 100,000 patents: 456 → 414 MiB after 500 searches). False where malloc is not glibc's."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
