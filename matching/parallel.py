"""Bulk document analysis in worker processes.

Python analysis (jieba, bigrams, synonyms) costs about as much CPU per
document as Elasticsearch's own indexing, and one interpreter runs it on one
core. A bulk load therefore analyses chunks in a small process pool while the
caller ships finished chunks; small loads (the outbox's few documents) stay
in-process, where they finish before a pool would have started.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 500
# Below this many documents the pool's start-up costs more than it saves.
MIN_PARALLEL = 4 * CHUNK
MAX_WORKERS = 4

_state: Any = None


def _init(state: Any) -> None:
    global _state
    _state = state


def _call(fn: Callable[[Any, list[Any]], Any], chunk: list[Any]) -> Any:
    return fn(_state, chunk)


def _chunks(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _context() -> multiprocessing.context.BaseContext:
    # Fork: workers inherit the loaded segmenter and need no importable
    # ``__main__`` (spawn re-runs the caller's script). The pool forks all its
    # workers at the first submit, before its own threads exist, and the
    # workers only run pure-Python analysis (no locks another thread may hold).
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def map_chunks(fn: Callable[[Any, list[T]], R], state: Any, items: Iterable[T], size: int = CHUNK) -> Iterator[R]:
    """``fn(state, chunk)`` for consecutive chunks of ``items``, results in order.

    ``fn`` must be a module-level function and ``state`` picklable (for
    platforms without fork). The first chunk runs in-process, which warms
    the analyzer the workers then inherit. At most two chunks per worker are
    in flight, so memory stays bounded whatever the input size.
    """
    it = iter(items)
    head = list(islice(it, MIN_PARALLEL))
    workers = min(MAX_WORKERS, os.cpu_count() or 1)
    if len(head) < MIN_PARALLEL or workers < 2:
        for chunk in _chunks(chain(head, it), size):
            yield fn(state, chunk)
        return
    first = fn(state, head[:size])
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_init, initargs=(state,))
    try:
        chunks = _chunks(chain(head[size:], it), size)
        # Workers start (fork) at this first submit, before the caller gets a
        # result and starts threads of its own to ship it.
        pending: deque[Future[R]] = deque(pool.submit(_call, fn, c) for c in islice(chunks, 2 * workers))
        yield first
        for chunk in chunks:
            yield pending.popleft().result()
            pending.append(pool.submit(_call, fn, chunk))
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
