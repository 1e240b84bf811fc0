"""What an application number says about its patent (standard ZC 0006-2003 and the pre-2003 numbering).

A 12-digit number ``YYYY T NNNNNNN`` carries the type at its 5th digit, an
8-digit pre-October-2003 number ``YY T NNNNN`` at its 3rd: 1 invention,
2 utility model, 3 design, 8 PCT invention and 9 PCT utility model entering
China. The number decides the type, so a type given explicitly must agree.
"""
from __future__ import annotations

from marketplace.legal.term import DESIGN, INVENTION, UTILITY_MODEL

TYPE_DIGITS = {"1": INVENTION, "8": INVENTION, "2": UTILITY_MODEL, "9": UTILITY_MODEL, "3": DESIGN}
# Where the type digit stands, by the number of digits before the check character.
TYPE_POSITION = {12: 4, 8: 2}


def digits_of(application_number: str) -> str:
    """The digits before the check character of a normalised number (``201710601862.3`` → ``201710601862``)."""
    return application_number.split(".")[0]


def type_digit(application_number: str) -> str | None:
    """The type digit of a normalised number, or None for a number of another length."""
    digits = digits_of(application_number)
    position = TYPE_POSITION.get(len(digits))
    return digits[position] if position is not None else None


def implied_type(application_number: str) -> str | None:
    """The patent type the number encodes (``"invention"``, ``"utility_model"``, ``"design"``), None if unknown."""
    return TYPE_DIGITS.get(type_digit(application_number) or "")


def conflicting_type(application_number: str, declared_type: str | None) -> str | None:
    """The type the number implies when a declared type contradicts it; None when they agree or either is unknown."""
    implied = implied_type(application_number)
    if declared_type is None or implied is None or implied == str(declared_type):
        return None
    return implied
