"""Queued e-mail leaves only after its unit of work commits, never after a rollback: requests and outbox drains."""
import logging

import pytest

from marketplace.accounts import routes as account_routes
from marketplace.core import mail, outbox, transaction
from marketplace.core.errors import Conflict


@pytest.fixture
def sent(caplog):
    """Addresses ``deliver_mail`` has sent to (without SMTP it logs each message), read when called."""
    caplog.set_level(logging.INFO, logger=mail.__name__)

    def addresses() -> list[str]:
        return [record.args[0] for record in caplog.records
                if record.name == mail.__name__ and record.msg.startswith("MAIL")]
    return addresses


@pytest.fixture
def reset_requested(monkeypatch, sent):
    """The forgot-password service, checking that its reset mail has not left before the request commits;
    ``refuse`` makes it then fail (409), so the request rolls back."""
    state = {"refuse": False, "unsent_inside": None}
    request_reset = account_routes.services.request_password_reset

    def requesting(email: str) -> None:
        request_reset(email)
        state["unsent_inside"] = email not in sent()
        if state["refuse"]:
            raise Conflict("refused after queueing the mail")

    monkeypatch.setattr(account_routes.services, "request_password_reset", requesting)
    return state


def test_mail_queued_by_a_request_leaves_after_its_commit(client, university, reset_requested, sent):
    response = client.post("/password/forgot", data={"email": university.email})
    assert response.status_code == 302
    assert reset_requested["unsent_inside"] is True
    assert sent() == [university.email]


def test_mail_queued_by_a_request_that_rolls_back_never_leaves(client, university, reset_requested, sent):
    reset_requested["refuse"] = True
    response = client.post("/password/forgot", data={"email": university.email})
    assert response.status_code == 409
    assert reset_requested["unsent_inside"] is True
    assert sent() == []


@pytest.fixture
def mailing_consumer(app, sent):
    """A consumer mailing ``<entity id>@example.test`` per row, then failing while ``state["fail"]``."""
    state = {"fail": False, "unsent_inside": []}

    def handle(events):
        for event in events:
            address = f"{event.entity_id}@example.test"
            mail.queue_mail(address, "subject", "body")
            state["unsent_inside"].append(address not in sent())
        if state["fail"]:
            raise ConnectionError("server down")

    outbox.register_consumer("test-mailing", {"test-mailing-entity"}, handle, app=app)
    yield state
    outbox.unregister_consumer("test-mailing", app=app)


def test_mail_queued_by_an_outbox_batch_leaves_after_its_commit(ctx, mailing_consumer, sent):
    outbox.record_change("test-mailing-entity", 41)
    transaction.commit()  # the inline drain handles the row
    assert mailing_consumer["unsent_inside"] == [True]
    assert sent() == ["41@example.test"]


def test_mail_queued_by_a_failed_outbox_batch_never_leaves(ctx, mailing_consumer, sent):
    mailing_consumer["fail"] = True
    outbox.record_change("test-mailing-entity", 42)
    transaction.commit()  # the inline drain fails and rolls the batch back
    assert mailing_consumer["unsent_inside"] == [True]
    assert outbox.pending_counts()["test-mailing"] == 1
    assert sent() == []

    mailing_consumer["fail"] = False
    assert outbox.drain("test-mailing") == 1
    assert sent() == ["42@example.test"]
