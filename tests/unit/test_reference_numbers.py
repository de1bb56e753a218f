from __future__ import annotations

import pytest

from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.reference_numbers import (
    format_reference,
    is_valid_reference,
    parse_reference,
    sequence_key,
)


def test_reference_prints_in_five_groups_of_thirteen_characters_plus_separators():
    reference = format_reference("kr", 2015, "01", 9)

    assert str(reference) == "VN-KR 15/01/00009"
    assert reference.slug == "VN-KR-15-01-00009"


def test_printed_form_and_slug_parse_to_the_same_reference():
    assert parse_reference("VN-KR 15/01/00009") == parse_reference("VN-KR-15-01-00009")
    assert parse_reference("VN-TH 26/47/T0012").test


@pytest.mark.parametrize("text", [
    "VN-KR 15/01/0009", "VN-KR 15/01/000009", "VN-K 15/01/00009", "XX-KR 15/01/00009",
    "VN-KR 2015/01/00009", "VN-KR 15/1/00009", "VN-KR 15/01/00000", "VN-VN 26/01/00001",
    "VN-TH 26/47/T00001", "", "VN-KR 15/01/00009 ",
])  # fmt: skip
def test_malformed_references_are_rejected(text):
    assert is_valid_reference(text) is (text == "VN-KR 15/01/00009 ")


def test_sequence_beyond_five_digits_is_refused():
    with pytest.raises(ValidationFailedError):
        format_reference("TH", 2026, "47", 100_000)


def test_test_series_has_its_own_counter_key_and_four_digits():
    assert sequence_key("47", 2026) == "SEQ#47#26"
    assert sequence_key("47", 2026, test=True) == "SEQ#TEST#47#26"
    with pytest.raises(ValidationFailedError):
        format_reference("TH", 2026, "47", 10_000, test=True)
