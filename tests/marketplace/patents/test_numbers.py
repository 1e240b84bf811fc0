"""Application numbers, publication numbers and IPC codes as DOMAIN.md §2 defines them."""
import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.patents.numbers import (
    check_character, normalise_application_number, normalise_ipc, normalise_publication_number, split_ipc_list,
)
from marketplace.patents.vocab import LegalStatus, PatentType


def test_worked_example_from_the_standard():
    assert check_character("201710601862") == "3"


@pytest.mark.parametrize("raw, expected", [
    ("201710601862.3", "201710601862.3"), ("CN201710601862.3", "201710601862.3"), ("ZL2017106018623", "201710601862.3"),
    ("201610311380.x", "201610311380.X"), (" 202310104843.5 ", "202310104843.5"), ("95115608.X", "95115608.X"),
    ("CN202223220665.2", "202223220665.2"),
])
def test_accepted_forms_normalise_to_one(raw, expected):
    assert normalise_application_number(raw) == expected


def test_wrong_check_digit_names_the_right_one():
    with pytest.raises(ValidationFailed) as caught:
        normalise_application_number("201710601862.4")
    assert "应为 3" in caught.value.fields["application_number"]


@pytest.mark.parametrize("raw", ["", "2017106018", "201710601862", "2017A0601862.3", "201740601862.7"])
def test_malformed_numbers_are_refused(raw):
    with pytest.raises(ValidationFailed):
        normalise_application_number(raw)




def test_publication_numbers():
    assert normalise_publication_number("cn 108572939 b") == "CN108572939B"
    with pytest.raises(ValidationFailed):
        normalise_publication_number("CN10857293B")


def test_ipc_codes():
    assert normalise_ipc("h01m10/0525") == "H01M 10/0525"
    assert normalise_ipc("B64U20/80(2023.01)") == "B64U 20/80"
    assert normalise_ipc("A01B") == "A01B"
    assert split_ipc_list("H01M10/0525; H01M4/36；H01M10/0525") == ["H01M 10/0525", "H01M 4/36"]
    with pytest.raises(ValidationFailed):
        normalise_ipc("H1M 10/05")


def test_vocabulary_parses_chinese_labels():
    assert PatentType.parse("实用新型") == PatentType.UTILITY_MODEL
    assert LegalStatus.parse("有权-审定授权") == LegalStatus.GRANTED and LegalStatus.GRANTED.in_force
    assert LegalStatus.parse("未缴年费专利权终止") == LegalStatus.TERMINATED
    assert LegalStatus.parse("火星") is None
