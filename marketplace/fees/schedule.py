"""The fee schedule as data: ``marketplace/data/annual_fees.json``, or the file ``FEE_SCHEDULE_FILE`` names.

Loaded once per app (``init_app``); a malformed file stops the app at start,
while a year the file leaves out is answered, when asked for, by the honest
``FeeScheduleGap`` (409) and listed by ``flask fees check-schedule``.
"""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from flask import Flask, current_app

from marketplace.legal.annual_fees import FeeSchedule

EXTENSION = "fee_schedule"


def load(path: str | None = None) -> FeeSchedule:
    """The schedule in ``path``, or the one shipped with the code."""
    text = (Path(path).read_text(encoding="utf-8") if path else
            resources.files("marketplace").joinpath("data/annual_fees.json").read_text(encoding="utf-8"))
    return FeeSchedule.from_dict(json.loads(text))


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = load(app.config["SETTINGS"].fee_schedule_file)


def fee_schedule() -> FeeSchedule:
    return current_app.extensions[EXTENSION]
