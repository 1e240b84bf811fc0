"""Character normalisation that keeps offsets stable.

Full-width forms (ＡＢＣ, １２３, ，) are folded to their NFKC equivalents and
letters lower-cased, one character at a time, so an index into the normalised
string is an index into the original (needed to place <mark> tags).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=8192)
def _fold(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).lower()
    return folded if len(folded) == 1 else ch.lower()[:1] or ch


def normalize(text: str) -> str:
    """Same length as ``text``; NFKC-folded and lower-cased per character."""
    if text.isascii():
        return text.lower()
    return "".join(_fold(ch) for ch in text)


def squash(phrase: str) -> str:
    """Turn a phrase into one index token: drop everything but letters and digits."""
    return "".join(ch for ch in phrase if ch.isalnum())
