"""The benchmark corpus: real base records with their vectors, synthetic documents and real needs.

First-time vectors of the ~15,000 real base records cost a few minutes of
jieba on this machine; ``base_vectors`` keeps them in a cache file (keyed by
the vector table's name) so that repeated runs measure what they are about.
The first-time embedding rate itself is measured separately (``__main__``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from bench.match_quality.corpus import DEFAULT_DATA, load, need_doc
from bench.match_speed.synth import SyntheticPatents, pool
from matching import NeedDoc, PatentDoc
from matching.semantic import StaticEmbedder, pack, patent_text_for_vector

CACHE = Path(os.environ.get("MATCH_SPEED_CACHE", Path(tempfile.gettempdir()) / "match_speed_cache"))


def _vector_text(d: PatentDoc) -> str:
    return patent_text_for_vector(d.title, d.abstract, d.first_claim)


def base_vectors(embedder: StaticEmbedder, base: list[PatentDoc], cache: Path | None = CACHE) -> list[str]:
    """Packed vectors of the base records (in ``base``'s order), from the cache file when it matches."""
    digest = hashlib.sha1("\x00".join(_vector_text(d) for d in base).encode()).hexdigest()[:12]
    path = cache / f"base-{embedder.name}-{digest}.npy" if cache else None
    if path is not None and path.exists():
        matrix = np.load(path)
    else:
        matrix = np.stack([embedder.embed(_vector_text(d)) for d in base]).astype(np.float16)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, matrix)
    return [pack(row.astype(np.float32)) for row in matrix]


def corpus(n: int, embedder: StaticEmbedder, data: Path = DEFAULT_DATA, n_needs: int = 100,
           cache: Path | None = CACHE) -> tuple[SyntheticPatents, list[NeedDoc], list[PatentDoc]]:
    """(``n`` synthetic patents carrying vectors, ``n_needs`` real needs, the real base records).

    Synthetic document i carries the vector of its title's record (speed, not
    meaning). Every second need gets the segments of some patent, so that the
    same-segment pools are exercised.
    """
    base = pool(data)
    docs = SyntheticPatents(base, n, base_vectors(embedder, base, cache), embedder.name)
    _, raw_needs = load(data)
    needs = [need_doc(i, r) for i, r in enumerate(raw_needs[:n_needs])]
    for i, need in enumerate(needs):
        if i % 2:
            need.segments = docs[i * 37 % len(docs)].segments
    return docs, needs, base
