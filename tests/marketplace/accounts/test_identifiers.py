import pytest

from marketplace.accounts.identifiers import credit_code_check, normalise_credit_code, normalise_region_code
from marketplace.core.errors import ValidationFailed


def test_known_credit_codes_validate():
    # Published codes: 91350100M000100Y43 (sample in GB 32100 guidance), 911100001000003195? computed below
    for body in ("91350100M000100Y4", "12100000400000624", "91110108551385082"):
        code = body + credit_code_check(body)
        assert normalise_credit_code(code.lower()) == code


def test_wrong_check_character_names_the_right_one():
    body = "91350100M000100Y4"
    right = credit_code_check(body)
    wrong = "0" if right != "0" else "1"
    with pytest.raises(ValidationFailed) as caught:
        normalise_credit_code(body + wrong)
    assert f"应为 {right}" in caught.value.fields["credit_code"]


@pytest.mark.parametrize("raw", ["12345", "91350100M000100Y4I", "9135010OM000100Y43"])
def test_malformed_credit_codes(raw):
    with pytest.raises(ValidationFailed):
        normalise_credit_code(raw)


def test_region_codes():
    assert normalise_region_code(" 520100 ") == "520100"
    for raw in ("52010", "020100", "abcdef"):
        with pytest.raises(ValidationFailed):
            normalise_region_code(raw)
