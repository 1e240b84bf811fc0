"""The pure scoring module: factor signs, sizes and explanations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from matching import NeedDoc, PatentDoc
from matching.scoring import Weights, inferred_ipc_profile, score_need_for_patent, score_patent_for_need

NEED = NeedDoc(id=1, org_id=1, org_name="x", title="锂电池", segments=["SEI-03", "SEI"], modes=["open_license"],
               budget_max=Decimal("500000"))


def _patent(**kw) -> PatentDoc:
    base = dict(id=1, application_number="201710601862.3", title="锂电池", segments=["SEI-03", "SEI"])
    return PatentDoc(**{**base, **kw})


def _codes(scored) -> dict[str, float]:
    return {f.code: f.contribution for f in scored.factors}


def test_business_factors_never_lift_a_clearly_weaker_match():
    """Every factor in favour of a weak match, every factor against a match 11 points better: the better still wins."""
    w = Weights()
    need = NeedDoc(id=1, org_id=1, org_name="x", title="锂电池", segments=["SEI-03", "SEI"], modes=["license"],
                   budget_max=Decimal("500000"))
    favoured = _patent(grade="A", maturity="mass_production", open_license=True, modes=["license"],
                       price_min=Decimal("1000"), ipc_codes=["H01M 4/36"])
    disfavoured = _patent(segments=["BIO"], grade="D", maturity="research", modes=["transfer"], legal_status="pending",
                          price_min=Decimal("9000000"))
    weak = score_patent_for_need(need, favoured, 50.0, {"H01M": 1.0}, False, w)
    strong = score_patent_for_need(need, disfavoured, 50.0 + 2 * w.band + 1, {"H01M": 1.0}, False, w)
    assert weak.score - weak.relevance == w.band and strong.relevance - strong.score == w.band
    assert strong.score > weak.score
    # the factors shown add up to the score
    assert abs(weak.score - sum(f.contribution for f in weak.factors)) < 1e-9


def test_business_factors_move_a_low_relevance_by_a_share_of_it_only():
    """At relevance 8 (a typical weak candidate) all factors in favour add 10 % of it, not 5 points."""
    w = Weights()
    need = NeedDoc(id=1, org_id=1, org_name="x", title="锂电池", segments=["SEI-03", "SEI"], modes=["license"])
    favoured = _patent(grade="A", maturity="mass_production", open_license=True, modes=["license"])
    weak = score_patent_for_need(need, favoured, 8.0, {"H01M": 1.0}, False, w)
    assert weak.score == pytest.approx(8.0 * (1 + w.band_share))
    better = score_patent_for_need(need, _patent(segments=["BIO"], grade="D", legal_status="pending"), 10.0,
                                   {}, True, w)
    assert better.score > weak.score
    assert abs(weak.score - sum(f.contribution for f in weak.factors)) < 1e-9


def test_pending_is_a_small_factor_not_a_flat_penalty():
    granted = score_patent_for_need(NEED, _patent(), 40.0, {}, True)
    pending = score_patent_for_need(NEED, _patent(legal_status="pending"), 40.0, {}, True)
    assert 0 < granted.score - pending.score <= Weights().band


def test_segment_hierarchy():
    leaf = score_patent_for_need(NEED, _patent(), 50.0, {}, True)
    parent_only = score_patent_for_need(NEED, _patent(segments=["SEI-05", "SEI"]), 50.0, {}, True)
    other = score_patent_for_need(NEED, _patent(segments=["BIO"]), 50.0, {}, True)
    assert _codes(leaf)["segment_match"] > _codes(parent_only)["segment_match"] > 0 > _codes(other)["segment_match"]
    assert leaf.shared_segments == ["SEI-03", "SEI"] and parent_only.shared_segments == ["SEI"]


def test_grade_order_and_custom_labels():
    a = _codes(score_patent_for_need(NEED, _patent(grade="A"), 1, {}, True))["grade"]
    d = _codes(score_patent_for_need(NEED, _patent(grade="D"), 1, {}, True))["grade"]
    assert a > 0 > d
    w = Weights(grade_order=("优", "良", "中"))
    assert _codes(score_patent_for_need(NEED, _patent(grade="优"), 1, {}, True, w))["grade"] > 0


def test_open_license_and_mode_match():
    s = _codes(score_patent_for_need(NEED, _patent(open_license=True), 1, {}, True))
    assert s["open_license"] > 0 and s["mode_match"] > 0
    miss = _codes(score_patent_for_need(NEED, _patent(modes=["transfer"]), 1, {}, True))
    assert miss["mode_match"] < 0


def test_pending_ranks_lower_and_budget():
    s = _codes(score_patent_for_need(NEED, _patent(legal_status="pending", price_min=Decimal("900000")), 1, {}, True))
    assert s["legal_status"] < 0 and s["budget"] < 0


def test_ipc_profile_inferred_from_top_matches():
    top = [(_patent(ipc_codes=["H01M 4/36"]), 10.0), (_patent(ipc_codes=["H01M 10/05"]), 8.0),
           (_patent(ipc_codes=["A01G 9/14"]), 1.0)]
    profile = inferred_ipc_profile(top)
    assert set(profile) == {"H01M"}
    s = score_patent_for_need(NEED, _patent(ipc_codes=["H01M 4/58"]), 0.5, profile, True)
    assert s.shared_ipc == ["H01M"] and _codes(s)["ipc_match"] > 0
    label = next(f for f in s.factors if f.code == "ipc_match")
    assert label.params["code"] == "H01M" and "电池" in label.label_zh  # named, not just coded


def test_need_side_factors():
    patent = _patent(open_license=True, price_min=Decimal("100000"))
    s = score_need_for_patent(patent, NEED, 0.8)
    assert {"text", "segment_match", "mode_match", "budget"} == set(_codes(s))
    assert abs(s.score - sum(f.contribution for f in s.factors)) < 1e-9


def test_factors_have_bilingual_labels():
    s = score_patent_for_need(NEED, _patent(grade="B", maturity="trl8", open_license=True), 0.7, {}, True)
    for f in s.factors:
        assert f.label_zh and f.label_en and f.to_dict()["code"] == f.code


@pytest.mark.parametrize("code, zh", [("lab", "通过小试"), ("mass_production", "可以量产"), ("trl5", "TRL 5")])
def test_maturity_reads_as_words_not_codes(code, zh):
    s = score_patent_for_need(NEED, _patent(maturity=code), 0.7, {}, True)
    label = next(f for f in s.factors if f.code == "maturity")
    assert zh in label.label_zh and code not in label.label_zh


def test_bm25f_weights_fields_and_groups():
    from matching.bm25 import bm25f, selective_groups

    rows = [(1, "锂电池 正极", "", "", "其他 内容", ""), (2, "其他", "", "", "锂电池 正极", ""), (3, "无关", "", "", "", "")]
    weights = {"title": 3.0, "tags": 2.0, "ipc": 1.0, "abstract": 1.0, "claim": 1.0}
    cols = ("title", "tags", "ipc", "abstract", "claim")
    df = {"锂电池": 2, "正极": 2}
    plain = bm25f(rows, cols, weights, ((("锂电池", "正极"), 1.0),), df, 3, 4.0)
    assert plain[1] > plain[2] > plain[3] == 0
    focused = bm25f(rows, cols, weights, ((("锂电池",), 2.0), (("锂电池", "正极"), 1.0)), df, 3, 4.0)
    assert focused[1] > plain[1]
    # common terms are left out of candidate retrieval, not out of scoring
    groups = selective_groups(((("的确", "锂电池"), 1.0),), {"的确": 900, "锂电池": 3}, 1000)
    assert groups == ((("锂电池",), 1.0),)
