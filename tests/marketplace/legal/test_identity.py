"""The application number decides the patent type (ZC 0006-2003; 8-digit numbers before October 2003)."""
from __future__ import annotations

import pytest

from marketplace.legal.identity import conflicting_type, implied_type


@pytest.mark.parametrize("number, expected", [
    ("201710601862.3", "invention"),
    ("201880012345.6", "invention"),  # 8: PCT invention entering China
    ("202223220665.2", "utility_model"),
    ("201990012345.1", "utility_model"),  # 9: PCT utility model
    ("201730012345.5", "design"),
    ("95115608.X", "invention"),  # pre-2003: the type is the 3rd digit
    ("96221602.6", "utility_model"),
    ("97301756.0", "design"),
    ("96421602.0", None),  # not a type digit of the old numbering
])
def test_type_digit_decides_the_type(number, expected):
    assert implied_type(number) == expected


@pytest.mark.parametrize("number, declared, expected", [
    ("202223220665.2", "invention", "utility_model"),  # a utility model stored as an invention: refused
    ("202223220665.2", "utility_model", None),
    ("201710601862.3", "design", "invention"),
    ("95115608.X", "utility_model", "invention"),
    ("201710601862.3", None, None),
    ("96421602.0", "design", None),
])
def test_a_contradicting_type_is_named(number, declared, expected):
    assert conflicting_type(number, declared) == expected
