"""One absolute relevance in 0–100 from the match evidence, and the thresholds on it.

``relevance = 100 × σ(bias + cos·c + share·s + focus·f + title·t + tf·r + bigram·g)``
where ``cos`` is the cosine of the two texts' vectors (``semantic``),
``share`` the weight share of the need's key words the candidate contains,
``focus`` the same over the title/keyword words, ``title`` the share
found in the candidate's title and ``tf`` the BM25-style term-frequency
evidence of the key words in the candidate (``evidence.coverage``: how
often, how prominently and in how short a text they occur) and ``bigram``
the same evidence for the character bigrams of the need's whole text
(idf from a fixed reference corpus, ``data/bigram_df.txt``). Every feature
depends on the pair alone (and the fixed corpus statistics), never on the
other candidates or the backend, so a pair's relevance is the same in
every list, on both backends and from both sides. It estimates the
probability that a judge grades the pair at least 1 (same narrow field or
better); the coefficients are fitted on the relevance benchmark's dev split
only (``python -m bench.match_quality.analyze dump`` then ``fit --write``,
which rewrites ``data/calibration.json``) and never on its test split.

Thresholds (same scale as the final score):
  * ``floor``: a match list shows only candidates at or above it;
  * ``push``: the lowest score pushed to a company; chosen on the dev split
    as the lowest threshold whose pushed matches have precision ≥ 0.6
    (share of pushed pairs graded ≥ 1).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Calibration:
    bias: float = -9.0
    cos: float = 12.0
    share: float = 2.5
    focus: float = 1.5
    title: float = 1.0
    tf: float = 0.0
    bigram: float = 0.0
    floor: float = 30.0
    push: float = 55.0
    fitted_on: str = "provisional (not fitted)"

    def relevance(self, cos: float, share: float, focus: float, title: float, tf: float = 0.0,
                  bigram: float = 0.0) -> float:
        z = (self.bias + self.cos * cos + self.share * share + self.focus * focus + self.title * title
             + self.tf * tf + self.bigram * bigram)
        return 100.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, float | str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@cache
def default() -> Calibration:
    """The shipped calibration (``data/calibration.json``), or the provisional defaults."""
    path = resources.files("matching").joinpath("data/calibration.json")
    if not path.is_file():
        return Calibration()
    data = json.loads(path.read_text("utf-8"))
    known = {f.name for f in fields(Calibration)}
    return Calibration(**{k: v for k, v in data.items() if k in known})
