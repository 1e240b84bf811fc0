"""Graded ranking metrics of bench/match_quality (nDCG with graded gains, recall, MRR, judged share, agreement)."""

import math

import pytest

from bench.match_quality.metrics import agreement, judged_at, mrr, ndcg_at, recall_at


def test_ndcg_uses_grades_as_gains_and_all_judged_documents_for_the_ideal():
    grades = {"a": 2, "b": 1, "c": 0, "d": 2}
    ranked = ["b", "a", "x", "d"]
    dcg = 1 / math.log2(2) + 2 / math.log2(3) + 0 + 2 / math.log2(5)
    ideal = 2 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(ranked, grades, 10) == pytest.approx(dcg / ideal)


def test_ndcg_is_one_for_the_ideal_order_and_cut_at_k():
    grades = {"a": 2, "b": 1, "c": 1}
    assert ndcg_at(["a", "b", "c"], grades) == pytest.approx(1.0)
    assert ndcg_at(["c", "b", "a"], grades) < 1.0
    # a relevant document below k earns nothing
    assert ndcg_at(["x", "a"], grades, 1) == 0.0


def test_ndcg_is_zero_when_the_need_has_no_relevant_document():
    assert ndcg_at(["a", "b"], {"a": 0, "b": 0}) == 0.0


def test_unjudged_documents_count_as_grade_zero():
    assert ndcg_at(["x", "y", "a"], {"a": 2}) == pytest.approx(1 / math.log2(4))


def test_recall_counts_grade_one_and_two_among_judged_relevant():
    grades = {"a": 2, "b": 1, "c": 0, "d": 1}
    assert recall_at(["a", "c", "x"], grades, 20) == pytest.approx(1 / 3)
    assert recall_at(["a", "b", "d"], grades, 2) == pytest.approx(2 / 3)


def test_mrr_is_the_first_relevant_rank():
    grades = {"a": 0, "b": 1}
    assert mrr(["a", "x", "b"], grades) == pytest.approx(1 / 3)
    assert mrr(["a", "x"], grades) == 0.0


def test_judged_at_is_the_judged_share_of_the_top_k():
    assert judged_at(["a", "x", "b", "y"], {"a": 0, "b": 2}, 4) == 0.5


def test_agreement_exact_binary_and_weighted_kappa():
    same = agreement([(0, 0), (1, 1), (2, 2), (0, 0)])
    assert same["exact"] == 1.0 and same["kappa_w"] == pytest.approx(1.0)
    mixed = agreement([(0, 0), (2, 1), (1, 0), (2, 2)])
    assert mixed["exact"] == 0.5 and mixed["binary"] == 0.75
    assert 0 < mixed["kappa_w"] < 1
