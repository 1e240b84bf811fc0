import json

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.segments.taxonomy import Taxonomy


@pytest.fixture
def taxonomy():
    return Taxonomy.load()


def test_default_taxonomy_has_the_domain_families(taxonomy):
    roots = {s.code for s in taxonomy.roots()}
    assert roots == {"SEI", "PII", "TM"}
    assert len(taxonomy.children("SEI")) == 9 and len(taxonomy.children("PII")) == 7
    assert taxonomy.get("TM-D2").name == "纳米及超细材料"


def test_resolve_by_code_name_and_path(taxonomy):
    assert taxonomy.resolve("SEI-03").name == "新材料"
    assert taxonomy.resolve("New materials").code == "SEI-03"
    assert taxonomy.resolve("电子信息-其他").code == "TM-A6"
    assert taxonomy.resolve("农业-其他").code == "TM-H12"


def test_ancestors_and_descendants(taxonomy):
    assert taxonomy.with_ancestors(["TM-D2"]) == ["TM-D2", "TM-D", "TM"]
    assert set(taxonomy.descendants("TM-F")) == {"TM-F", "TM-F1", "TM-F2"}


def test_unknown_segment_is_refused_by_name(taxonomy):
    with pytest.raises(ValidationFailed) as caught:
        taxonomy.parse_codes(["新材料", "量子炼金术"])
    assert "量子炼金术" in caught.value.fields["segments"]


def test_deployments_extend_the_taxonomy(tmp_path):
    extra = tmp_path / "guizhou.json"
    extra.write_text(json.dumps({"segments": [
        {"code": "GZ", "name": "贵州六大产业基地", "name_en": "Guizhou industry bases", "parent": None},
        {"code": "GZ-1", "name": "大数据电子信息产业基地", "parent": "GZ"}]}, ensure_ascii=False), encoding="utf-8")
    taxonomy = Taxonomy.load(str(extra))
    assert taxonomy.resolve("大数据电子信息产业基地").code == "GZ-1"
    assert "SEI" in taxonomy


def test_a_broken_file_is_refused(tmp_path):
    extra = tmp_path / "bad.json"
    extra.write_text(json.dumps({"segments": [{"code": "X-1", "name": "孤儿", "parent": "X"}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown parent"):
        Taxonomy.load(str(extra))
