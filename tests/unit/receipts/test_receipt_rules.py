from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from chalicelib.domain.receipts import (
    Collector,
    FeeCharge,
    Payer,
    ReceiptDraft,
    ReceiptKey,
    amount_in_words,
    series_for,
)

COLLECTOR = Collector(
    department="HAIPHONG",
    name="Sở Công Thương thành phố Hải Phòng",
    tax_code="0200566447",
    form_number="01BLP0-001",
    series_letters="HP",
)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (60000, "Sáu mươi nghìn đồng"),
        (30000, "Ba mươi nghìn đồng"),
        (1250005, "Một triệu hai trăm năm mươi nghìn lẻ năm đồng"),
        (-30000, "Âm ba mươi nghìn đồng"),
    ],
)
def test_amount_in_words_is_capitalised_vietnamese_ending_in_dong(amount: int, words: str) -> None:
    assert amount_in_words(amount) == words


@pytest.mark.parametrize(
    ("moment", "series"),
    [
        (datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC), "HP26"),  # 23:59:59 in Vietnam
        (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), "HP27"),  # midnight in Vietnam
    ],
)
def test_series_follows_the_year_in_vietnam(moment: datetime, series: str) -> None:
    assert series_for("HP", moment) == series


def test_a_provider_key_reads_back_into_the_receipt_key() -> None:
    key = ReceiptKey(form_number="01BLP0-001", series="HP26", number=42)

    assert key.provider_key == "01BLP0-001-HP26-0000042"
    assert ReceiptKey.from_provider_key(key.provider_key) == key


def test_a_receipt_number_has_at_most_seven_digits() -> None:
    with pytest.raises(ValidationError):
        ReceiptKey(form_number="01BLP0-001", series="HP26", number=10_000_000)


def test_a_numbered_draft_takes_the_series_of_its_year_and_its_collector_sandbox() -> None:
    draft = ReceiptDraft(
        collector=COLLECTOR.model_copy(update={"sandbox": True}),
        payer=Payer(name="Công ty Cổ phần Thủy sản Hải Phòng"),
        fee=FeeCharge(name="Phí cấp C/O", amount=60000),
        issued_at=datetime(2027, 1, 2, 3, 0, tzinfo=UTC),
        payment_reference="CO12345678X",
    )

    receipt = draft.numbered(1)

    assert (receipt.key.series, receipt.key.number_text) == ("HP27", "0000001")
    assert receipt.test_receipt


@pytest.mark.parametrize(
    "change",
    [
        {"series_letters": "hp"},
        {"series_letters": "HP1"},
        {"tax_code": "02005664"},
        {"form_number": "01 BLP"},
    ],
)
def test_collector_setup_is_checked(change: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Collector.model_validate({**COLLECTOR.model_dump(), **change})


def test_a_receipt_refuses_a_naive_time_and_a_zero_amount() -> None:
    draft = dict(
        collector=COLLECTOR,
        payer=Payer(name="A"),
        fee=FeeCharge(name="Phí cấp C/O", amount=60000),
        issued_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        payment_reference="CO12345678X",
    )
    with pytest.raises(ValidationError):
        ReceiptDraft(**{**draft, "issued_at": datetime(2026, 12, 3, 9, 0)}).numbered(1)
    with pytest.raises(ValidationError):
        ReceiptDraft(**{**draft, "fee": FeeCharge(name="Phí", amount=0)}).numbered(1)
