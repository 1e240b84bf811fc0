"""Slots: a lower package reads a higher one's facts through a function provided per app in create_app."""
import pytest
from flask import Flask

from marketplace.core.slots import Slot


def test_a_slot_returns_what_its_app_provides_and_names_itself_when_empty():
    slot: Slot = Slot("example")
    first, second = Flask("first"), Flask("second")
    slot.provide(first, lambda n: n + 1)
    with first.app_context():
        assert slot()(1) == 2
    with second.app_context(), pytest.raises(LookupError, match="example"):
        slot()


def test_every_slot_of_the_app_is_provided(app):
    """create_app fills the slots the legal facts and search read (a missing one would fail at first use)."""
    from marketplace.openlicense import facts
    from marketplace.search import documents, indexing
    slots = [facts.EXCLUSIVE_LICENSE_IN_FORCE, facts.DEAL_LICENSE_TERMS, facts.PLEDGE_COUNTS, facts.PLEDGEES,
             documents.OPEN_LICENSED, indexing.DECLARED_PATENTS]
    with app.app_context():
        assert all(callable(slot()) for slot in slots)
