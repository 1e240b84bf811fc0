from datetime import date

import pytest

from marketplace.core.dates import parse_date, require_date
from marketplace.core.errors import ValidationFailed
from marketplace.core.validation import FieldCollector, clean_text


def test_collector_names_every_wrong_field():
    fields = FieldCollector({"title": "  ", "abstract": "x" * 11, "note": "ok"})
    fields.parse("title", lambda v: clean_text(v, "title", 10, required=True))
    fields.parse("abstract", lambda v: clean_text(v, "abstract", 10))
    fields.parse("note", lambda v: clean_text(v, "note", 10))
    fields.parse("absent", lambda v: pytest.fail("fields not given are not parsed"))
    fields.require("application_number")
    with pytest.raises(ValidationFailed) as caught:
        fields.raise_errors()
    assert set(caught.value.fields) == {"title", "abstract", "application_number"}
    assert fields.values == {"note": "ok"}


def test_collector_passes_when_everything_is_right():
    fields = FieldCollector({"title": " 锂电池 "})
    fields.parse("title", lambda v: clean_text(v, "title", 10, required=True))
    fields.raise_errors()
    assert fields.values == {"title": "锂电池"}


@pytest.mark.parametrize("raw", ["2021-07-30", "2021.07.30", "2021/7/30", "20210730", "2021年7月30日", date(2021, 7, 30)])
def test_dates_in_every_export_form(raw):
    assert parse_date(raw, "d") == date(2021, 7, 30)


def test_blank_and_required_dates():
    assert parse_date("", "d") is None
    assert require_date("", "d", default=date(2020, 1, 1)) == date(2020, 1, 1)
    with pytest.raises(ValidationFailed) as caught:
        require_date(None, "held_on")
    assert "held_on" in caught.value.fields
    with pytest.raises(ValidationFailed):
        parse_date("2021-02-30", "d")


def test_a_stored_moment_falls_on_its_beijing_date():
    """Stored moments are naive UTC; a legal date compared with one must be Beijing's (16:30 UTC is tomorrow)."""
    from datetime import date, datetime, timezone

    from marketplace.core.dates import local_date

    assert local_date(datetime(2026, 12, 2, 15, 59)) == date(2026, 12, 2)
    assert local_date(datetime(2026, 12, 2, 16, 30)) == date(2026, 12, 3)
    assert local_date(datetime(2026, 12, 2, 16, 30, tzinfo=timezone.utc)) == date(2026, 12, 3)


def test_a_stored_moment_reads_as_beijing_wall_clock_time():
    from datetime import datetime, timezone

    from marketplace.core.dates import local_time

    beijing = local_time(datetime(2026, 12, 2, 23, 30))
    assert (beijing.day, beijing.hour, beijing.minute) == (3, 7, 30)
    assert local_time(datetime(2026, 12, 2, 23, 30, tzinfo=timezone.utc)) == beijing


def test_the_push_day_starts_at_beijing_midnight():
    """The daily push cap counts from Beijing midnight (16:00 UTC the day before), stored as naive UTC."""
    from datetime import datetime

    from marketplace.push.decide import local_day_start

    assert local_day_start(datetime(2026, 12, 2, 16, 30)) == datetime(2026, 12, 2, 16, 0)
    assert local_day_start(datetime(2026, 12, 2, 15, 59)) == datetime(2026, 12, 1, 16, 0)
