"""Fixtures for the matching engine tests.

Documents are built from real records committed in ``fixtures/`` (see its
README for provenance). The ``backend`` fixture runs the contract suite on
the embedded backend and, when ``ES_URL`` is set, on Elasticsearch; with
``REQUIRE_SERVICES=1`` a missing ``ES_URL`` fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from matching import NeedDoc, PatentDoc, SearchBackend, create_backend

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2024, 6, 1)
SESSION_PREFIX = f"pmtest-{uuid.uuid4().hex[:8]}"

_MATURITY = {"已有样品": "sample", "通过小试": "lab", "可以量产": "mass_production", "正在研发": "research",
             "通过中试": "pilot"}
_GRADES = ["A", "B", "C", "D", None]


def _records(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / f"{name}.jsonl").read_text("utf-8").splitlines() if line]


def _modes(method: str) -> list[str]:
    out = []
    if "转让" in method.replace("许可转让", ""):
        out.append("transfer")
    if "许可" in method:
        out.append("license")
    if "入股" in method:
        out.append("equity")
    return out


def build_patents() -> list[PatentDoc]:
    """Achievements (stand-ins for listings) and patent records, with varied metadata."""
    docs: list[PatentDoc] = []
    for i, r in enumerate(_records("achievements")):
        top, _, sub = r["industry"].partition("-")
        docs.append(PatentDoc(
            id=1000 + i, application_number=r["id"], title=r["name"].strip(), abstract=r["context"].strip(),
            owner_id=1 + i % 3, owner_name=["清华大学", "贵州大学", "中国科学院化学研究所"][i % 3],
            patent_type="utility_model" if r["zlxx"] == "实用新型专利" else "invention",
            legal_status="pending" if i % 7 == 3 else "granted", grade=_GRADES[i % 5],
            segments=[r["industry"], top], segment_names=[sub or top, top], modes=_modes(r["cooperationMethod"]),
            maturity=_MATURITY.get(r["maturity"]), open_license=i % 3 == 0,
            application_date=date.fromisoformat(r["postTime"]) if r.get("postTime") else None,
            price_min=Decimal("100000") if i % 4 == 0 else None,
        ))
    for i, r in enumerate(_records("patents")):
        codes = [c for c in (r.get("ipc") or []) if len(c) > 3]
        docs.append(PatentDoc(
            id=2000 + i, application_number=r.get("app_no") or r["id"], title=r["title"], abstract=r.get("abstract") or "",
            ipc_codes=codes, ipc_main=r.get("ipc_main") or (codes[0] if codes else None),
            owner_id=10 + i % 2, owner_name=r.get("applicant") or "",
            patent_type="utility_model" if r.get("patent_type") == "实用新型" else "invention",
            grade=_GRADES[(i + 2) % 5], legal_status="granted",
            publication_numbers=[r["pub_no"]] if r.get("pub_no") else [],
        ))
    return docs


def build_needs() -> list[NeedDoc]:
    docs = []
    for i, r in enumerate(_records("needs")):
        docs.append(NeedDoc(
            id=3000 + i, org_id=100 + i, org_name=f"企业{i}", title=r["name"].strip(), description=r["context"].strip(),
            modes=_modes(r["cooperationMethod"]) or ["license"],
            segments=["制造业"] if r["classification"].startswith("制造业") else [], public=i % 6 != 5,
            segment_names=["制造业"] if r["classification"].startswith("制造业") else [],
        ))
    return docs


CATHODE_NEED = NeedDoc(id=3900, org_id=900, org_name="某电池材料公司", title="锂电池正极材料",
                       description="我们需要提高锂电池正极材料循环寿命的技术", segments=["新材料"],
                       segment_names=["新材料"], modes=["license", "open_license"])


def special_docs(patents: list[PatentDoc], needs: list[NeedDoc]) -> tuple[list[PatentDoc], list[NeedDoc]]:
    """Documents that must never be listed: a draft, a terminated patent, a private and a closed need."""
    cathode = next(p for p in patents if "锂硫电池正极材料" in p.title)
    draft = replace(cathode, id=9001, title="草稿专利 锂硫电池正极材料 秘密配方", published=False)
    dead = replace(cathode, id=9002, title="已终止专利 锂硫电池正极材料", legal_status="terminated")
    private = replace(needs[0], id=9101, title="私密需求 锂硫电池正极", public=False)
    closed = replace(needs[0], id=9102, title="已关闭需求 锂硫电池正极", status="closed")
    expired = replace(needs[0], id=9103, title="过期需求 锂硫电池正极", valid_until=date(2020, 1, 1))
    return [draft, dead], [private, closed, expired]


@pytest.fixture(scope="session")
def corpus() -> tuple[list[PatentDoc], list[NeedDoc]]:
    patents, needs = build_patents(), build_needs()
    sp, sn = special_docs(patents, needs)
    return patents + sp, needs + sn + [CATHODE_NEED]


def _es_url() -> str | None:
    url = os.environ.get("ES_URL")
    if not url:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but ES_URL is not set")
        pytest.skip("ES_URL not set")
    return url


_counter = iter(range(10**6))


def make_backend(kind: str, tmp_path: Path) -> SearchBackend:
    if kind == "elasticsearch":
        return create_backend(_es_url(), "", index_prefix=f"{SESSION_PREFIX}-{next(_counter)}", request_timeout=30)
    return create_backend(None, str(tmp_path / f"index-{next(_counter)}.sqlite3"))


BACKENDS = ["embedded", pytest.param("elasticsearch", marks=pytest.mark.es)]


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, corpus, tmp_path_factory) -> Iterator[SearchBackend]:
    """A backend holding the whole corpus, shared by read-only tests of a module."""
    backend = make_backend(request.param, tmp_path_factory.mktemp("idx"))
    patents, needs = corpus
    backend.rebuild(patents, needs)
    backend.refresh()
    yield backend
    backend.drop()
    backend.close()


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path) -> Iterator[SearchBackend]:
    """An empty backend of each kind for tests that write."""
    b = make_backend(request.param, tmp_path)
    b.ensure_indices()
    yield b
    b.drop()
    b.close()
