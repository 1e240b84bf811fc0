"""Nothing is lost when Elasticsearch goes down: stop the real server, write, restart, drain, compare."""
import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select

from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.patents.vocab import PublicationState
from marketplace.search.backend import search_backend
from tests import factories
from tests.conftest import require_service

SCRIPT = Path(__file__).resolve().parents[3] / ".ci" / "elasticsearch.sh"


def _control(action: str, es_url: str) -> None:
    env = {**os.environ, "ES_PORT": str(urlparse(es_url).port or 9200)}
    subprocess.run(["bash", str(SCRIPT), action], check=True, env=env, timeout=300)


@pytest.mark.es
@pytest.mark.stops_elasticsearch
def test_writes_survive_an_elasticsearch_outage(app, client, university, token_for):
    es_url = os.environ.get("ES_URL")
    if not es_url:
        require_service("Elasticsearch", "ES_URL is not set")
    headers = token_for(university)
    sample = factories.load_fixture("patents_sample.jsonl")
    with app.app_context():
        for record in sample[:3]:
            factories.make_patent(university, record, publish=True)
        assert search_backend().name == "elasticsearch"

    _control("stop", es_url)
    try:
        for record in sample[3:8]:
            values = factories.patent_values(record)
            body = {key: values[key] for key in ("application_number", "title", "abstract")}
            created = client.post("/api/v1/patents", json={**body, "legal_status": "granted", "publish": True},
                                  headers=headers)
            assert created.status_code == 201, created.json  # the database took the write
        down = client.get("/api/v1/search/patents?q=无人机")
        assert down.status_code == 503 and down.headers["Retry-After"] and down.json["error"] == "service_unavailable"
        assert client.get("/healthz").json["search"]["status"] == "unavailable"
        with app.app_context():
            assert outbox.pending_counts()["search"] >= 5
    finally:
        _control("start", es_url)

    with app.app_context():
        outbox.drain("search")
        assert outbox.pending_counts().get("search", 0) == 0
        backend = search_backend()
        backend.refresh()
        published = db.session.scalar(select(func.count()).select_from(Patent)
                                      .where(Patent.state == PublicationState.PUBLISHED))
        from matching.querying import PatentQuery
        assert published == 8 and backend.search_patents(PatentQuery(per_page=50)).total == published
