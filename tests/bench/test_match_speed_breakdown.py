"""bench.match_speed --breakdown: stage times of a real match, and the matcher left as it was."""

from __future__ import annotations

import matching.backend as mb
from bench.match_speed import breakdown
from matching import NeedDoc, PatentDoc, create_backend
from matching.evidence import KeyMatcher


def test_stages_of_a_match_are_timed_and_the_matcher_is_restored(tmp_path) -> None:
    backend = create_backend(None, str(tmp_path / "speed.sqlite3"))
    backend.rebuild([PatentDoc(id=1, application_number="CN201710601862.3", title="一种锂电池正极材料",
                               abstract="正极材料由磷酸铁锂制成，提高锂电池的循环寿命。")], [])
    need = NeedDoc(id=1, org_id=1, org_name="某公司", title="锂电池正极材料", description="提高循环寿命")
    untouched = (KeyMatcher._words, mb.merge_pools, mb.score_patent_for_need)
    with breakdown.installed(backend) as stages:
        matches = backend.match_patents(need, floor=0)
    assert [m.patent.id for m in matches] == [1]
    for stage in ("query analysis (key words)", "query embedding", "lexical retrieval", "kNN retrieval",
                  "evidence: key words in the text", "evidence: character bigrams (numpy, all candidates)",
                  "business factors", "fusion (merge pools)"):
        assert stages.seconds[stage] > 0, stage
    assert (KeyMatcher._words, mb.merge_pools, mb.score_patent_for_need) == untouched
    assert not {"need_keys", "_patent_pools", "_knn"} & set(vars(backend))
    backend.close()
