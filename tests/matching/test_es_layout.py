"""The Elasticsearch indices take the layout the deployment asks for (``ES_SHARDS`` / ``ES_REPLICAS``)."""

from __future__ import annotations

import pytest

from matching import create_backend, es_backend

from conftest import SESSION_PREFIX, _es_url, build_needs, build_patents

pytestmark = pytest.mark.es


def _layout(backend, alias: str) -> tuple[str, str]:
    settings = backend.client.indices.get_settings(index=alias).body
    (index,) = settings.values()
    return index["settings"]["index"]["number_of_shards"], index["settings"]["index"]["number_of_replicas"]


def test_new_and_rebuilt_indices_have_the_configured_shards_and_replicas():
    backend = create_backend(_es_url(), "", index_prefix=f"{SESSION_PREFIX}-layout", request_timeout=30,
                             shards=2, replicas=1)
    try:
        backend.ensure_indices()
        assert _layout(backend, backend.patent_alias) == ("2", "1")
        assert _layout(backend, backend.need_alias) == ("2", "1")
        backend.rebuild(build_patents()[:5], build_needs()[:5])  # loads without replicas, then adds them
        assert _layout(backend, backend.patent_alias) == ("2", "1")
        assert _layout(backend, backend.need_alias) == ("2", "1")
    finally:
        backend.drop()
        backend.close()


def test_default_layout_is_one_shard_without_replicas():
    backend = create_backend(_es_url(), "", index_prefix=f"{SESSION_PREFIX}-layout1", request_timeout=30)
    try:
        backend.ensure_indices()
        assert _layout(backend, backend.patent_alias) == ("1", "0")
    finally:
        backend.drop()
        backend.close()


def test_a_rebuild_gives_a_large_catalogue_two_patent_shards_unless_a_count_is_configured(monkeypatch):
    monkeypatch.setattr(es_backend, "TWO_SHARDS_FROM", 4)
    prefix = f"{SESSION_PREFIX}-sized"
    backend = create_backend(_es_url(), "", index_prefix=prefix, request_timeout=30)
    configured = create_backend(_es_url(), "", index_prefix=prefix, request_timeout=30, shards=1)
    try:
        backend.ensure_indices()
        assert _layout(backend, backend.patent_alias) == ("1", "0")
        backend.rebuild(build_patents()[:4], build_needs()[:2])  # the live index was empty
        assert _layout(backend, backend.patent_alias) == ("1", "0")
        backend.rebuild(build_patents()[:4], build_needs()[:2])  # now it holds 4
        assert _layout(backend, backend.patent_alias) == ("2", "0")
        assert _layout(backend, backend.need_alias) == ("1", "0")
        assert backend.client.count(index=backend.patent_alias).body["count"] == 4
        configured.rebuild(build_patents()[:4], build_needs()[:2])
        assert _layout(configured, configured.patent_alias) == ("1", "0")
    finally:
        backend.drop()
        backend.close()
        configured.close()


def test_rebuilt_indices_are_merged_to_one_segment_per_shard(monkeypatch):
    backend = create_backend(_es_url(), "", index_prefix=f"{SESSION_PREFIX}-merged", request_timeout=30)
    load = backend._patent_bodies

    def refreshed_between_chunks(index, docs):  # a large load: a segment per refresh
        for body in load(index, docs):
            backend.client.indices.refresh(index=index)
            yield body

    monkeypatch.setattr(es_backend, "BULK_CHUNK", 2)
    monkeypatch.setattr(backend, "_patent_bodies", refreshed_between_chunks)
    try:
        backend.rebuild(build_patents(), build_needs())
        for alias in (backend.patent_alias, backend.need_alias):
            (index,) = backend.client.indices.segments(index=alias).body["indices"].values()
            assert [shard["num_search_segments"] for copies in index["shards"].values() for shard in copies] == [1]
    finally:
        backend.drop()
        backend.close()


def test_a_rebuild_failing_while_the_patents_merge_keeps_the_live_indices_and_leaves_no_new_ones():
    backend = create_backend(_es_url(), "", index_prefix=f"{SESSION_PREFIX}-failed", request_timeout=30)
    patents, needs = build_patents(), build_needs()

    def needs_then_a_lost_database():
        yield needs[0]
        raise RuntimeError("the database went away")

    try:
        backend.rebuild(patents[:3], needs[:3])
        live = backend._current(backend.patent_alias) + backend._current(backend.need_alias)
        with pytest.raises(RuntimeError, match="went away"):
            backend.rebuild(patents, needs_then_a_lost_database())
        names = backend.client.indices.get(index=f"{backend.patent_alias}-v*,{backend.need_alias}-v*").body
        assert sorted(names) == sorted(live)
        assert backend.client.count(index=backend.patent_alias)["count"] == 3
    finally:
        backend.drop()
        backend.close()
