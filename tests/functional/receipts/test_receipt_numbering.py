from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from chalicelib.adapters.receipt_store import ReceiptStore
from chalicelib.domain.payment_reference import new_payment_reference
from chalicelib.domain.receipts import Collector, Payer, ReceiptKey, ReceiptStatus
from tests.functional.receipts.conftest import draft_for


def test_first_receipt_of_a_series_is_number_one_and_keeps_every_field(
    store: ReceiptStore, collector: Collector, payer: Payer
) -> None:
    # given a payment with no receipt yet
    reference = new_payment_reference()

    # when its receipt is issued
    receipt = store.issue(draft_for(collector, payer, reference))

    # then it is 0000001 of series DL26, and reads back whole
    assert receipt.key == ReceiptKey(form_number="01BLP0-001", series="DL26", number=1)
    assert receipt.key.number_text == "0000001"
    stored = store.get(receipt.key)
    assert stored == receipt
    assert stored is not None and stored.status is ReceiptStatus.ALLOCATED
    assert stored.amount_in_words == "Sáu mươi nghìn đồng"


def test_second_delivery_of_the_same_payment_issues_nothing(
    store: ReceiptStore, collector: Collector, payer: Payer
) -> None:
    # given a payment whose receipt was issued
    reference = new_payment_reference()
    first = store.issue(draft_for(collector, payer, reference))

    # when the same payment is delivered again, and another payment follows
    again = store.issue(draft_for(collector, payer, reference))
    other = store.issue(draft_for(collector, payer, new_payment_reference()))

    # then the repeat returns the first receipt and the next payment takes the next number
    assert again == first
    assert other.key.number == 2
    assert store.receipt_for_payment(reference) == first
    assert store.receipt_of_dossier(f"D-{reference}") == first


def test_concurrent_issuance_is_gap_free_and_unique(
    atomic_requests: None, store: ReceiptStore, collector: Collector, payer: Payer
) -> None:
    # given 30 payments, 10 of them delivered twice, issued from 8 threads at once
    references = [new_payment_reference() for _ in range(30)]
    deliveries = references + references[:10]

    # when all are issued concurrently
    with ThreadPoolExecutor(max_workers=8) as pool:
        receipts = list(pool.map(lambda r: store.issue(draft_for(collector, payer, r)), deliveries))

    # then numbers 1..30 are used once each, and each payment has exactly one of them
    by_payment: dict[str, set[int]] = {}
    for receipt in receipts:
        by_payment.setdefault(receipt.payment_reference, set()).add(receipt.key.number)
    assert all(len(numbers) == 1 for numbers in by_payment.values())
    numbers = sorted(next(iter(n)) for n in by_payment.values())
    assert numbers == list(range(1, 31))


def test_new_year_in_vietnam_starts_the_next_series_at_one(
    store: ReceiptStore, collector: Collector, payer: Payer
) -> None:
    # given receipts issued in 2026 up to 23:59 on 31 December, Vietnam time (16:59 UTC)
    for _ in range(3):
        store.issue(draft_for(collector, payer, new_payment_reference()))
    last_of_year = store.issue(
        draft_for(
            collector, payer, new_payment_reference(), datetime(2026, 12, 31, 16, 59, tzinfo=UTC)
        )
    )

    # when a payment is receipted at 00:00 on 1 January, Vietnam time (17:00 UTC the day before)
    first_of_year = store.issue(
        draft_for(
            collector, payer, new_payment_reference(), datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
        )
    )

    # then the old series ends at 0000004 and series DL27 starts at 0000001
    assert (last_of_year.key.series, last_of_year.key.number) == ("DL26", 4)
    assert (first_of_year.key.series, first_of_year.key.number_text) == ("DL27", "0000001")
