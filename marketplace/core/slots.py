"""Slots: a lower package reads what a higher one knows, without importing it.

A package declares ``NAME = Slot[Callable[...]]("name")`` where it needs a fact that another
package keeps (the open-license rules need the registered pledges of a patent; pledges build on
open licenses). ``create_app`` fills the slot once per app with the higher package's function
(``NAME.provide(app, function)``), and the lower package calls ``NAME()(…)``. So the import
graph between domain packages stays free of cycles (``tests/test_layers.py``), like the outbox's
consumers and ``patents.services.on_patent_change``.
"""
from __future__ import annotations

from typing import Generic, TypeVar, cast

from flask import Flask, current_app

F = TypeVar("F")
_KEY = "slots"


class Slot(Generic[F]):
    """A named function provided per app; calling the slot returns it (an error names an empty slot)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def provide(self, app: Flask, function: F) -> None:
        app.extensions.setdefault(_KEY, {})[self.name] = function

    def __call__(self) -> F:
        try:
            return cast(F, current_app.extensions[_KEY][self.name])
        except KeyError:
            raise LookupError(f"no function provides the slot {self.name!r}: provide it in create_app") from None
