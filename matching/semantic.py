"""Dense vectors for patents and needs from a static word-vector table.

The table (``data/static_e5.npz``) was distilled once from
multilingual-e5-small (``matching.distill``): every word of a vocabulary
built from Chinese technical texts (jieba words, every CJK character,
frequent English words) was run through the transformer on its own, and
its output vector kept (PCA-reduced, int8). A text's vector is the
weighted mean of its words' vectors — weight = smooth inverse frequency
(``a / (a + p(w))``), so boilerplate (研发, 项目, 技术) barely counts —
minus its projection on the corpus's common direction, L2-normalised.

Why a static table: the transformer costs ~0.2–1 s per abstract on this
2-core machine and ~50–250 ms per query, which alone would exceed the
match latency budget; the table embeds a need in well under a millisecond
and a patent in about the time jieba takes to segment it, and needs no
model at run time (numpy only). Because it came from a multilingual
model, ``battery`` lands near 电池 and ``lithium battery`` near 锂电池.
Quality against the full transformer: see the README's matching section.

Vectors are float32, unit length, ``dim`` wide; ``name`` identifies the
table, so stored vectors of another table are recomputed, never mixed.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from io import BytesIO

import numpy as np
from numpy.typing import NDArray

from matching.normalize import normalize
from matching.text import Analyzer

F32 = NDArray[np.float32]
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ASCII = re.compile(r"[a-z][a-z0-9]+")
TABLE = "data/static_e5.npz"


class StaticEmbedder:
    """Text → unit vector through the distilled word table; thread-safe, no I/O after loading."""

    def __init__(self, analyzer: Analyzer, data: bytes | None = None) -> None:
        raw = data if data is not None else resources.files("matching").joinpath(TABLE).read_bytes()
        with np.load(BytesIO(raw), allow_pickle=False) as z:
            words = [str(w) for w in z["words"]]
            # Kept as stored (int8 rows and a float32 scale per row, 7 MiB) and scaled per looked-up row in
            # ``embed_ids``: the same floats as scaling the whole table at load, which took 27 MiB per process.
            self.codes: NDArray[np.int8] = z["vectors"]
            self.scales: F32 = z["scales"].astype(np.float32)
            self.weights: F32 = z["weights"].astype(np.float32)
            self.freq: F32 = z["freq"].astype(np.float32)
            self.common: F32 = z["common"].astype(np.float32)
            self.name = str(z["name"])
        self.analyzer = analyzer
        self.index = {w: i for i, w in enumerate(words)}
        self.dim = int(self.codes.shape[1])
        self._max_word = max((len(w) for w in words), default=1)

    def word_ids(self, text: str) -> list[int]:
        """Table rows of a text's words; unknown Chinese words fall back to their known parts, then characters."""
        norm = normalize(text)
        out: list[int] = []
        for chunk in self.analyzer._words(norm):
            for word in chunk:
                i = self.index.get(word)
                if i is not None:
                    out.append(i)
                elif _CJK.match(word):
                    out.extend(self._pieces(word))
                else:
                    out.extend(j for w in _ASCII.findall(word) if (j := self.index.get(w)) is not None)
        return out

    def _pieces(self, word: str) -> list[int]:
        """Greedy longest known prefixes of an unknown word (characters at worst)."""
        out: list[int] = []
        pos = 0
        while pos < len(word):
            for size in range(min(self._max_word, len(word) - pos), 0, -1):
                i = self.index.get(word[pos:pos + size])
                if i is not None:
                    out.append(i)
                    pos += size
                    break
            else:
                pos += 1
        return out

    def embed_ids(self, ids: Sequence[int]) -> F32:
        if not ids:
            return np.zeros(self.dim, np.float32)
        rows = np.asarray(ids, dtype=np.int64)
        v = self.weights[rows] @ (self.codes[rows].astype(np.float32) * self.scales[rows, None])
        v = v - (v @ self.common) * self.common
        norm = float(np.linalg.norm(v))
        out: F32 = (v / norm).astype(np.float32) if norm > 0 else np.zeros(self.dim, np.float32)
        return out

    def embed(self, text: str) -> F32:
        """Unit vector of ``text`` (zeros when no word of it is known)."""
        return self.embed_ids(self.word_ids(text))

    def embed_many(self, texts: Sequence[str]) -> F32:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            out[i] = self.embed(text)
        return out

    def known(self, word: str) -> bool:
        return normalize(word) in self.index


@cache
def default_embedder(analyzer: Analyzer) -> StaticEmbedder:
    return StaticEmbedder(analyzer)


def patent_text_for_vector(title: str, abstract: str, claim: str = "") -> str:
    """What a patent's vector is computed from: the title twice (it states the topic), the abstract, the claim."""
    return "\n".join(p for p in (title, title, abstract, claim[:300]) if p)


def need_text_for_vector(title: str, description: str, keywords: Sequence[str] = ()) -> str:
    return "\n".join(p for p in (title, title, " ".join(keywords), description) if p)


# ---- compact storage: float16, base64 (JSON documents, database rows) -----------
def pack(vector: F32) -> str:
    return base64.b64encode(np.asarray(vector, np.float16).tobytes()).decode("ascii")


def unpack(data: str) -> F32:
    out: F32 = np.frombuffer(base64.b64decode(data), np.float16).astype(np.float32)
    return out


def to_bytes(vector: F32) -> bytes:
    return np.asarray(vector, np.float16).tobytes()


def from_bytes(data: bytes) -> F32:
    out: F32 = np.frombuffer(data, np.float16).astype(np.float32)
    return out
