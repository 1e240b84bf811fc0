"""The one place where match features are combined (pure Python, no I/O).

Backends only retrieve candidates with a text score; this module turns a
candidate into a final score plus the list of factors that moved it, so the
Elasticsearch and embedded backends rank identically given the same
candidates. Scores are additive: text relevance (normalised to 0..1 within
the candidate pool) times ``text`` weight, plus signed feature contributions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from matching import ipc
from matching.documents import IN_FORCE_STATUSES, NeedDoc, PatentDoc
from matching.results import Factor

MODE_LABELS = {
    "transfer": ("转让", "transfer"),
    "license": ("许可", "license"),
    "open_license": ("开放许可", "open license"),
    "equity": ("作价入股", "equity"),
}
_EARLY = {"trl1", "trl2", "trl3", "research", "lab"}
_MID = {"trl4", "trl5", "trl6", "pilot"}
_MATURE = {"trl7", "trl8", "trl9", "sample", "mass_production"}


@dataclass(frozen=True)
class Weights:
    """Contribution sizes; text relevance dominates, features re-order within it."""

    text: float = 0.60
    segment: float = 0.15
    segment_miss: float = -0.05
    ipc: float = 0.08
    grade_best: float = 0.06
    grade_worst: float = -0.04
    maturity_mature: float = 0.05
    maturity_mid: float = 0.02
    maturity_early: float = -0.02
    open_license: float = 0.04
    mode_match: float = 0.06
    mode_miss: float = -0.04
    budget_fit: float = 0.03
    budget_miss: float = -0.03
    pending: float = -0.10
    grade_order: tuple[str, ...] = ("A", "B", "C", "D")


@dataclass
class Scored:
    score: float
    factors: list[Factor]
    shared_segments: list[str]
    shared_ipc: list[str]


def _text_factor(rel: float, w: Weights) -> Factor:
    return Factor("text", w.text * rel, f"文本相关度 {rel:.0%}", f"text relevance {rel:.0%}")


def _segment_factor(mine: list[str], theirs: list[str], w: Weights) -> tuple[Factor | None, list[str]]:
    """Share of the reference side's segment codes (ancestors included) the other side has.

    Because codes come expanded with their ancestors, sharing the leaf scores
    1.0 while sharing only the parent group scores a fraction.
    """
    if not mine or not theirs:
        return None, []
    shared = [s for s in mine if s in set(theirs)]
    if not shared:
        return Factor("segment_match", w.segment_miss, "产业细分领域不同", "different industry segment"), []
    ratio = len(shared) / len(set(mine))
    return (Factor("segment_match", w.segment * ratio, f"产业细分领域一致：{'、'.join(shared)}",
                   f"same industry segment: {', '.join(shared)}"), shared)


def _ipc_factor(patent_codes: list[str], profile: Mapping[str, float], inferred: bool, w: Weights) -> tuple[Factor | None, list[str]]:
    """Agreement of the patent's IPC with the need's technical field.

    ``profile`` maps IPC subclasses (and classes, e.g. ``H01``) to a 0..1
    strength: 1.0 for codes the company picked, a share of the best text
    matches when inferred from them.
    """
    if not profile or not patent_codes:
        return None, []
    best, best_code = 0.0, ""
    for code in patent_codes:
        lv = ipc.levels(code)
        for level, factor in ((lv[2] if len(lv) > 2 else None, 1.0), (lv[1] if len(lv) > 1 else None, 0.5)):
            if level and profile.get(level, 0.0) * factor > best:
                best, best_code = profile[level] * factor, level
    if best <= 0:
        return None, []
    title = ipc.title_of(best_code) or ""
    how_zh, how_en = ("（依据最相关专利推断）", " (inferred from the best text matches)") if inferred else ("", "")
    return (Factor("ipc_match", w.ipc * best, f"IPC {best_code} {title} 与需求技术领域一致{how_zh}",
                   f"IPC {best_code} agrees with the need's technical field{how_en}"), [best_code])


def _grade_factor(grade: str | None, w: Weights) -> Factor | None:
    order = w.grade_order
    if grade not in order or len(order) < 2:
        return None
    pos = order.index(grade) / (len(order) - 1)
    value = w.grade_best + (w.grade_worst - w.grade_best) * pos
    if abs(value) < 1e-9:
        return None
    return Factor("grade", value, f"专利分级 {grade}", f"patent grade {grade}")


# How a maturity code reads in an explanation (the market's labels, or TRL n).
_MATURITY_LABELS = {"research": ("正在研发", "in research"), "lab": ("通过小试", "lab-tested"),
                    "pilot": ("通过中试", "pilot-tested"), "sample": ("已有样品", "samples exist"),
                    "mass_production": ("可以量产", "ready for mass production")}


def _maturity_label(maturity: str) -> tuple[str, str]:
    if maturity in _MATURITY_LABELS:
        return _MATURITY_LABELS[maturity]
    level = maturity.removeprefix("trl").upper()
    return f"TRL {level}", f"TRL {level}"


def _maturity_factor(maturity: str | None, w: Weights) -> Factor | None:
    if maturity is None:
        return None
    zh, en = _maturity_label(maturity)
    if maturity in _MATURE:
        return Factor("maturity", w.maturity_mature, f"成熟度高（{zh}）", f"mature technology ({en})")
    if maturity in _MID:
        return Factor("maturity", w.maturity_mid, f"已中试（{zh}）", f"piloted ({en})")
    if maturity in _EARLY:
        return Factor("maturity", w.maturity_early, f"尚处早期（{zh}）", f"early stage ({en})")
    return None


def _mode_factor(wanted: list[str], offered: set[str], w: Weights) -> Factor | None:
    if not wanted or not offered:
        return None
    shared = [m for m in wanted if m in offered]
    if not shared:
        return Factor("mode_match", w.mode_miss, "转化方式不符", "transfer modes differ")
    zh = "、".join(MODE_LABELS.get(m, (m, m))[0] for m in shared)
    en = ", ".join(MODE_LABELS.get(m, (m, m))[1] for m in shared)
    return Factor("mode_match", w.mode_match, f"转化方式一致：{zh}", f"wanted mode offered: {en}")


def _budget_factor(pmin: Decimal | None, pmax: Decimal | None, bmin: Decimal | None, bmax: Decimal | None, w: Weights) -> Factor | None:
    if (pmin is None and pmax is None) or (bmin is None and bmax is None):
        return None
    low = pmin if pmin is not None else pmax
    if bmax is not None and low is not None and low > bmax:
        return Factor("budget", w.budget_miss, "报价高于预算", "price above budget")
    return Factor("budget", w.budget_fit, "报价在预算范围内", "price within budget")


def _finish(factors: list[Factor | None], shared_seg: list[str], shared_ipc: list[str]) -> Scored:
    kept = [f for f in factors if f is not None]
    return Scored(sum(f.contribution for f in kept), kept, shared_seg, shared_ipc)


def score_patent_for_need(
    need: NeedDoc, patent: PatentDoc, rel: float, ipc_profile: Mapping[str, float], inferred_ipc: bool,
    w: Weights = Weights(),
) -> Scored:
    """Final score of a patent candidate for a company's need."""
    seg, shared_seg = _segment_factor(need.segments, patent.segments, w)
    codes = list(patent.ipc_codes) + ([patent.ipc_main] if patent.ipc_main else [])
    ipc_f, shared_ipc = _ipc_factor(codes, ipc_profile, inferred_ipc, w)
    pending = None
    if patent.legal_status not in IN_FORCE_STATUSES:
        pending = Factor("legal_status", w.pending, "尚未授权（审中）", "not yet granted (pending)")
    open_f = None
    if patent.open_license:
        open_f = Factor("open_license", w.open_license, "已发布开放许可声明，可直接获得许可",
                        "open license declared: license available on notice and payment")
    factors = [
        _text_factor(rel, w), seg, ipc_f, _grade_factor(patent.grade, w), _maturity_factor(patent.maturity, w),
        open_f, _mode_factor(list(need.modes), patent.effective_modes, w),
        _budget_factor(patent.price_min, patent.price_max, need.budget_min, need.budget_max, w), pending,
    ]
    return _finish(factors, shared_seg, shared_ipc)


def score_need_for_patent(patent: PatentDoc, need: NeedDoc, rel: float, w: Weights = Weights()) -> Scored:
    """Final score of an open need for a patent (only need-dependent factors)."""
    seg, shared_seg = _segment_factor(patent.segments, need.segments, w)
    codes = list(patent.ipc_codes) + ([patent.ipc_main] if patent.ipc_main else [])
    profile = explicit_ipc_profile(need.ipc_codes)
    ipc_f, shared_ipc = _ipc_factor(codes, profile, False, w)
    factors = [
        _text_factor(rel, w), seg, ipc_f, _mode_factor(list(need.modes), patent.effective_modes, w),
        _budget_factor(patent.price_min, patent.price_max, need.budget_min, need.budget_max, w),
    ]
    return _finish(factors, shared_seg, shared_ipc)


def explicit_ipc_profile(codes: list[str]) -> dict[str, float]:
    """Profile of IPC codes a company picked: full strength at subclass and class level."""
    out: dict[str, float] = {}
    for code in codes:
        for level in ipc.levels(code)[1:]:
            out[level] = 1.0
    return out


def inferred_ipc_profile(top_candidates: list[tuple[PatentDoc, float]], k: int = 10, min_share: float = 0.3) -> dict[str, float]:
    """IPC subclasses dominant among the best text matches, with their score share.

    A need rarely names IPC codes; the subclasses that most of its best text
    matches share are a fair guess of its technical field (pseudo-relevance
    feedback), and lift patents of that field that rank lower on wording.
    """
    total = 0.0
    weight: dict[str, float] = {}
    for patent, score in top_candidates[:k]:
        total += score
        codes = list(patent.ipc_codes) + ([patent.ipc_main] if patent.ipc_main else [])
        for sub in ipc.subclasses(codes):
            weight[sub] = weight.get(sub, 0.0) + score
    if total <= 0:
        return {}
    return {sub: round(v / total, 4) for sub, v in weight.items() if v / total >= min_share}
