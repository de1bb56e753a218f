import threading
from dataclasses import replace

import pytest

from chalicelib.domain.errors import ConflictError, RuleViolationError
from chalicelib.domain.payment_reference import check_character
from chalicelib.domain.payments import (
    BankCredit,
    BankTransaction,
    Outcome,
    PaymentDecision,
    PaymentStatus,
    decide,
)

from .conftest import NOW, a_department, callback_body, signed


def test_a_payment_order_is_stored_once_per_dossier(payments, order, store):
    again = payments.create_payment_order(
        dossier_id=order.dossier_id,
        trader_tax_code="0101234567",
        department=a_department("HN", order.account, NOW.date()),
        fee_kind=order.fee_kind,
        submitted_at=NOW,
    )

    assert again == order
    assert store.order(order.payment_reference) == order
    assert (
        store.department_for_account(order.account.bank_bin, order.account.account_number) == "HN"
    )


def test_the_fee_is_fixed_at_submission(order):
    assert (order.amount_vnd, order.status, order.version) == (60_000, PaymentStatus.AWAITING, 0)


def test_a_taken_payment_reference_is_never_reused(payments, order, store):
    fresh = "CO00000000" + check_character("00000000")
    draws = iter([order.payment_reference, fresh])
    drawing_a_taken_reference_first = replace(payments, new_reference=lambda: next(draws))

    second = drawing_a_taken_reference_first.create_payment_order(
        dossier_id="DOSSIER-2",
        trader_tax_code="0101234567",
        department=a_department("HN", order.account, NOW.date()),
        fee_kind=order.fee_kind,
        submitted_at=NOW,
    )

    assert second.payment_reference == fresh
    assert store.order(order.payment_reference).dossier_id == order.dossier_id


def test_concurrent_duplicate_callbacks_credit_once(payments, order, store):
    body = callback_body(note=order.payment_reference)
    barrier = threading.Barrier(8)
    results = []

    def deliver() -> None:
        barrier.wait()
        results.append(payments.receive_bank_callback("techcombank", body, signed(body), NOW))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored = store.order(order.payment_reference)
    assert (stored.received_vnd, stored.status, stored.version) == (60_000, PaymentStatus.PAID, 1)
    assert {result.status_code for result in results} == {200}
    assert len({tuple(result.body.items()) for result in results}) == 1
    assert sum(not result.duplicate for result in results) == 1


def test_concurrent_distinct_partial_credits_all_count(payments, order, store):
    bodies = [
        callback_body(txn_id=f"FT{n}", amount=20_000, note=order.payment_reference)
        for n in range(3)
    ]
    barrier = threading.Barrier(len(bodies))

    def deliver(body: bytes) -> None:
        barrier.wait()
        payments.receive_bank_callback("techcombank", body, signed(body), NOW)

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored = store.order(order.payment_reference)
    assert (stored.received_vnd, stored.status) == (60_000, PaymentStatus.PAID)


def test_a_decision_on_a_stale_order_is_refused_and_records_nothing(payments, order, store):
    event = BankCredit(
        bank="techcombank",
        txn_id="FT-late",
        account=order.account.account_number,
        amount=60_000,
        currency="VND",
        note=order.payment_reference,
        booked_at=NOW,
    )
    decided_on_stale_order = decide(order, event, "970407")
    body = callback_body(txn_id="FT-first", amount=1_000, note=order.payment_reference)
    payments.receive_bank_callback("techcombank", body, signed(body), NOW)

    with pytest.raises(ConflictError):
        store.record(a_transaction(event, decided_on_stale_order), decided_on_stale_order.order)

    assert store.bank_transaction("techcombank", "FT-late") is None
    assert store.order(order.payment_reference).received_vnd == 1_000


def test_suspense_items_are_listed_per_department_oldest_first(payments, order, store):
    for n in range(3):
        body = callback_body(txn_id=f"UNK{n}", note="no reference here")
        payments.receive_bank_callback("techcombank", body, signed(body), NOW.replace(second=n))

    first_page, cursor = store.suspense("HN", limit=2)
    second_page, _ = store.suspense("HN", limit=2, after=cursor)

    assert [item.txn_id for item in first_page + second_page] == ["UNK0", "UNK1", "UNK2"]
    assert all(item.outcome is Outcome.SUSPENSE for item in first_page)


def test_a_reversal_decided_before_its_credit_landed_is_refused_and_records_nothing(
    payments, order, store
):
    reversal = BankCredit(
        bank="techcombank",
        txn_id="RV-race",
        kind="reversal",
        original_txn_id="FT-race",
        account=order.account.account_number,
        amount=60_000,
        currency="VND",
        booked_at=NOW,
    )
    decided_without_the_credit = decide(None, reversal, "970407")
    body = callback_body(txn_id="FT-race", note=order.payment_reference)
    payments.receive_bank_callback("techcombank", body, signed(body), NOW)

    with pytest.raises(ConflictError):
        store.record(a_transaction(reversal, decided_without_the_credit), None)

    assert store.bank_transaction("techcombank", "RV-race") is None


def a_transaction(event: BankCredit, decision: PaymentDecision) -> BankTransaction:
    return BankTransaction(
        **event.model_dump(),
        received_at=NOW,
        raw_body="{}",
        received_via="callback:current",
        outcome=decision.outcome,
        suspense_reason=decision.suspense_reason,
        department="HN",
    )


def test_a_fee_account_belongs_to_one_department(payments, order):
    other = a_department("HCM", order.account, NOW.date())

    with pytest.raises(RuleViolationError):
        payments.create_payment_order("DOSSIER-HCM", "0301234567", other, "issuance", NOW)


def test_a_note_naming_several_references_finds_the_one_on_the_credited_account(
    payments, order, store
):
    other_account = order.account.model_copy(update={"account_number": "8888888888"})
    other = payments.create_payment_order(
        "DOSSIER-HCM", "0301234567", a_department("HCM", other_account, NOW.date()), "issuance", NOW
    )
    note = f"{other.payment_reference} {order.payment_reference}"

    result = payments.receive_bank_callback(
        "techcombank", callback_body(note=note), signed(callback_body(note=note)), NOW
    )

    assert result.body["outcome"] == "paid"
    assert store.order(order.payment_reference).status is PaymentStatus.PAID
    assert store.order(other.payment_reference).status is PaymentStatus.AWAITING


def test_recorded_payments_are_listed_by_department_and_vietnam_day(payments, order, store):
    late_evening = callback_body(txn_id="FT-late", amount=1_000, note=order.payment_reference)
    next_morning = callback_body(
        txn_id="FT-next",
        amount=1_000,
        note=order.payment_reference,
        booked_at="2026-12-03T17:30:00+00:00",
    )
    for body in (late_evening, next_morning, callback_body(txn_id="UNK", note="?")):
        payments.receive_bank_callback("techcombank", body, signed(body), NOW)

    on_the_3rd = store.payments_on("HN", NOW.date())
    on_the_4th = store.payments_on("HN", NOW.date().replace(day=4))

    assert [item.txn_id for item in on_the_3rd] == ["FT-late"]
    assert [item.txn_id for item in on_the_4th] == ["FT-next"]
