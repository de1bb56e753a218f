from datetime import UTC, datetime

from chalicelib.domain.departments import FeeAccount
from chalicelib.domain.payments import (
    BankCredit,
    EventKind,
    Outcome,
    PaymentFlag,
    PaymentOrder,
    PaymentStatus,
    SuspenseReason,
    decide,
)

TECHCOMBANK = "970407"
BOOKED = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def an_order(**changes) -> PaymentOrder:
    order = PaymentOrder(
        dossier_id="D1",
        trader_tax_code="0101234567",
        department="HN",
        payment_reference="CO12345678X",
        fee_kind="issuance",
        amount_vnd=60_000,
        account=FeeAccount(
            bank_bin=TECHCOMBANK, account_number="19030000000001", account_name="SO CONG THUONG"
        ),
        created_at=BOOKED,
    )
    return order.model_copy(update=changes)


def an_event(amount: int = 60_000, **changes) -> BankCredit:
    fields = {
        "bank": "techcombank",
        "txn_id": "T1",
        "account": "19030000000001",
        "amount": amount,
        "currency": "VND",
        "note": "CO12345678X",
        "booked_at": BOOKED,
    }
    return BankCredit.model_validate(fields | changes)


def test_exact_amount_pays_the_order():
    decision = decide(an_order(), an_event(60_000), TECHCOMBANK)

    assert decision.outcome is Outcome.PAID
    assert decision.became_paid
    assert decision.order.status is PaymentStatus.PAID
    assert decision.order.paid_at == BOOKED
    assert decision.order.version == 1


def test_one_vnd_short_is_partial_and_tells_the_remainder():
    decision = decide(an_order(), an_event(59_999), TECHCOMBANK)

    assert decision.outcome is Outcome.PARTIAL
    assert not decision.became_paid
    assert decision.remainder_vnd == 1
    assert decision.order.status is PaymentStatus.PARTIAL


def test_one_vnd_over_pays_and_flags_one_vnd_for_refund():
    decision = decide(an_order(), an_event(60_001), TECHCOMBANK)

    assert decision.outcome is Outcome.OVERPAID
    assert decision.became_paid
    assert decision.refund_due_vnd == 1
    assert PaymentFlag.REFUND_DUE in decision.order.flags


def test_partials_that_reach_the_amount_pay_the_order():
    first = decide(an_order(), an_event(20_000), TECHCOMBANK).order
    second = decide(first, an_event(40_000, txn_id="T2"), TECHCOMBANK)

    assert second.outcome is Outcome.PAID
    assert second.became_paid
    assert second.order.received_vnd == 60_000


def test_more_money_on_a_paid_order_is_refund_due_and_does_not_pay_it_again():
    paid = decide(an_order(), an_event(60_000), TECHCOMBANK).order

    again = decide(paid, an_event(60_000, txn_id="T2"), TECHCOMBANK)

    assert again.outcome is Outcome.OVERPAID
    assert not again.became_paid
    assert again.refund_due_vnd == 60_000
    assert again.order.paid_at == paid.paid_at


def test_unknown_reference_wrong_account_and_wrong_currency_go_to_suspense():
    cases = [
        (None, an_event(), SuspenseReason.UNKNOWN_REFERENCE),
        (an_order(), an_event(account="999"), SuspenseReason.WRONG_ACCOUNT),
        (an_order(), an_event(currency="USD"), SuspenseReason.WRONG_CURRENCY),
    ]
    for order, event, reason in cases:
        decision = decide(order, event, TECHCOMBANK)

        assert (decision.outcome, decision.suspense_reason, decision.order) == (
            Outcome.SUSPENSE,
            reason,
            None,
        )


def test_the_right_account_number_at_another_bank_is_the_wrong_account():
    decision = decide(an_order(), an_event(), "970436")

    assert decision.suspense_reason is SuspenseReason.WRONG_ACCOUNT


def test_reversal_after_payment_is_flagged_and_never_downgrades():
    paid = decide(an_order(), an_event(60_000), TECHCOMBANK).order
    reversal = an_event(60_000, txn_id="R1", kind=EventKind.REVERSAL, original_txn_id="T1")

    decision = decide(paid, reversal, TECHCOMBANK, original_credited=True)

    assert decision.outcome is Outcome.REVERSAL_FLAGGED
    assert decision.order.status is PaymentStatus.PAID
    assert decision.order.received_vnd == 60_000
    assert decision.order.reversed_vnd == 60_000
    assert PaymentFlag.REVERSAL_AFTER_CREDIT in decision.order.flags
    assert not decision.became_paid


def test_reversal_of_something_never_credited_goes_to_suspense():
    reversal = an_event(kind=EventKind.REVERSAL, original_txn_id="T9")

    decision = decide(an_order(), reversal, TECHCOMBANK, original_credited=False)

    assert decision.suspense_reason is SuspenseReason.UNKNOWN_ORIGINAL


def test_failed_after_paid_does_nothing():
    paid = decide(an_order(), an_event(60_000), TECHCOMBANK).order

    decision = decide(paid, an_event(kind=EventKind.FAILED, txn_id="F1"), TECHCOMBANK)

    assert (decision.outcome, decision.order, decision.became_paid) == (
        Outcome.IGNORED,
        None,
        False,
    )


def test_no_sequence_of_events_moves_a_payment_backwards():
    rank = {PaymentStatus.AWAITING: 0, PaymentStatus.PARTIAL: 1, PaymentStatus.PAID: 2}
    events = [
        an_event(30_000, txn_id="A"),
        an_event(kind=EventKind.FAILED, txn_id="B"),
        an_event(30_000, txn_id="C"),
        an_event(30_000, txn_id="D", kind=EventKind.REVERSAL, original_txn_id="A"),
        an_event(kind=EventKind.FAILED, txn_id="E"),
        an_event(5, txn_id="F"),
    ]
    order = an_order()
    for event in events:
        decision = decide(order, event, TECHCOMBANK, original_credited=True)
        if decision.order is not None:
            assert rank[decision.order.status] >= rank[order.status]
            assert decision.order.received_vnd >= order.received_vnd
            order = decision.order

    assert order.status is PaymentStatus.PAID
    assert set(order.flags) == {PaymentFlag.REVERSAL_AFTER_CREDIT, PaymentFlag.REFUND_DUE}
