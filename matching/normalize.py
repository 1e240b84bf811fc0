"""Character normalisation that keeps offsets stable.

Full-width forms (ＡＢＣ, １２３, ，) are folded to their NFKC equivalents and
letters lower-cased, one character at a time, so an index into the normalised
string is an index into the original (needed to place <mark> tags).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


@lru_cache(maxsize=8192)
def _fold(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).lower()
    return folded if len(folded) == 1 else ch.lower()[:1] or ch


# Full-width ASCII variants and the ideographic space -> their ASCII forms.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


# Characters whose NFKC form differs in ways the table above does not cover
# (enclosed numerals, compatibility ideographs, ligatures, superscripts).
_SLOW = re.compile("[\u00aa-\u00be\u2070-\u209f\u2150-\u24ff\u3200-\u33ff\uf900-\ufaff\ufb00-\ufb4f]")


_WIDE = re.compile("[\uff01-\uff5e\u3000]")


def normalize(text: str) -> str:
    """Same length as ``text``; NFKC-folded and lower-cased per character."""
    if text.isascii():
        return text.lower()
    # ``str.translate`` looks up every character of ideographic text in a dict;
    # replacing only the few full-width ones (mostly "，"), each distinct one by
    # one ``str.replace``, is several times faster.
    fast = text
    for ch in set(_WIDE.findall(text)):
        fast = fast.replace(ch, chr(_WIDTH[ord(ch)]))
    fast = fast.lower()
    if len(fast) == len(text) and not _SLOW.search(fast):
        return fast
    return "".join(_fold(ch) for ch in text)


def squash(phrase: str) -> str:
    """Turn a phrase into one index token: drop everything but letters and digits."""
    return "".join(ch for ch in phrase if ch.isalnum())
