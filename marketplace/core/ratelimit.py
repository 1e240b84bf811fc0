"""A fixed-window request budget per user and purpose, for reads that must not be hammered (type-ahead lookups).

Reads never write to the database (``tests/marketplace/test_get_never_writes.py``),
so the counters live in Redis when the app has one (shared by every worker),
else in this process (the embedded default: one server process). A Redis
error falls back to the process counter rather than refusing the request.
"""
from __future__ import annotations

import threading
import time

from marketplace.core.errors import TooManyRequests
from marketplace.core.i18n import gettext as _
from marketplace.core.jobs import jobs

_lock = threading.Lock()
_counts: dict[tuple[str, int, int], int] = {}


def _local_hit(key: tuple[str, int, int]) -> int:
    with _lock:
        if len(_counts) > 10_000:  # drop the windows that have passed
            for old in [k for k in _counts if k[2] < key[2]]:
                del _counts[old]
        _counts[key] = _counts.get(key, 0) + 1
        return _counts[key]


def _redis_hit(key: tuple[str, int, int], window: int) -> int | None:
    runner = jobs()
    if runner.inline:
        return None
    from redis.exceptions import RedisError

    name = f"ratelimit:{key[0]}:{key[1]}:{key[2]}"
    try:
        pipe = runner.connection.pipeline()
        pipe.incr(name)
        pipe.expire(name, window)
        return int(pipe.execute()[0])
    except RedisError:
        return None


def spend(purpose: str, subject_id: int, limit: int, window: int = 60) -> None:
    """Count one request of ``subject_id`` for ``purpose``; 429 with ``Retry-After`` beyond ``limit`` a window."""
    now = time.time()
    key = (purpose, subject_id, int(now // window))
    count = _redis_hit(key, window)
    if count is None:
        count = _local_hit(key)
    if count > limit:
        raise TooManyRequests(_("请求过于频繁，请稍后再试"), retry_after=max(1, int(window - now % window)))
