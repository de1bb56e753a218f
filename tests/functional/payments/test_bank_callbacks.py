import itertools
import json
from datetime import timedelta

import pytest

from chalicelib.domain.bank_signature import SIGNATURE_HEADER
from chalicelib.domain.dossiers import HistoryEvent, Status
from chalicelib.domain.errors import (
    NotFoundError,
    RuleViolationError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
)
from chalicelib.domain.payments import Outcome, PaymentFlag, PaymentStatus, SuspenseReason

from .conftest import ACCOUNT, NOW, PREVIOUS_SECRET, SUBMITTED, a_department, callback_body, signed


def deliver(payments, body, headers=None, at=NOW, bank="techcombank"):
    return payments.receive_bank_callback(bank, body, headers or signed(body), at)


def test_exact_amount_pays_and_completes_the_await_payment_step(payments, order, workflow, store):
    payments.await_payment(order.dossier_id, "token-1")
    body = callback_body(note=order.payment_reference)

    result = deliver(payments, body)

    assert (result.status_code, result.body["outcome"]) == (200, "paid")
    assert store.order(order.payment_reference).status is PaymentStatus.PAID
    assert workflow.completed == [(order.dossier_id, "token-1")]


def test_a_sequential_repeat_gets_the_same_answer_and_credits_nothing(payments, order, store):
    body = callback_body(note=order.payment_reference)
    first = deliver(payments, body)

    repeat = deliver(payments, body, signed(body, at=NOW + timedelta(seconds=40)))

    assert (repeat.status_code, repeat.body) == (first.status_code, first.body)
    assert repeat.duplicate
    assert store.order(order.payment_reference).received_vnd == 60_000


def test_the_raw_callback_is_kept(payments, order, store):
    body = callback_body(note=order.payment_reference, bank_extra="kept as sent")

    deliver(payments, body)

    kept = store.bank_transaction("techcombank", "FT001")
    assert kept.raw_body.encode("utf-8") == body
    assert (kept.received_via, kept.dossier_id) == ("callback:current", order.dossier_id)


def test_a_tampered_body_is_refused_and_nothing_is_recorded(payments, order, store):
    body = callback_body(note=order.payment_reference)
    headers = signed(body)

    with pytest.raises(UnauthorizedError):
        deliver(payments, body.replace(b"60000", b"600000"), headers)

    assert store.bank_transaction("techcombank", "FT001") is None


def test_a_reserialised_body_with_the_original_signature_is_refused(payments, order):
    body = callback_body(note=order.payment_reference)
    respaced = json.dumps(dict(reversed(json.loads(body).items())), indent=1).encode()

    with pytest.raises(UnauthorizedError):
        deliver(payments, respaced, signed(body))


@pytest.mark.parametrize("skew", [-299, 299])
def test_timestamps_299_seconds_off_are_accepted(payments, order, skew):
    body = callback_body(note=order.payment_reference)

    result = deliver(payments, body, signed(body, at=NOW + timedelta(seconds=skew)))

    assert result.status_code == 200


@pytest.mark.parametrize("skew", [-301, 301, 600])
def test_timestamps_301_seconds_or_ten_minutes_off_are_refused(payments, order, store, skew):
    body = callback_body(note=order.payment_reference)

    with pytest.raises(UnauthorizedError):
        deliver(payments, body, signed(body, at=NOW + timedelta(seconds=skew)))

    assert store.order(order.payment_reference).received_vnd == 0


def test_a_wrong_secret_is_refused(payments, order):
    body = callback_body(note=order.payment_reference)

    with pytest.raises(UnauthorizedError):
        deliver(payments, body, signed(body, secret="not-the-secret"))


def test_the_old_secret_is_accepted_during_rotation(payments, order, store):
    body = callback_body(note=order.payment_reference)

    result = deliver(payments, body, signed(body, secret=PREVIOUS_SECRET))

    assert result.body["outcome"] == "paid"
    assert store.bank_transaction("techcombank", "FT001").received_via == "callback:previous"


def test_content_type_with_or_without_charset_is_accepted(payments, order):
    for n, content_type in enumerate(["application/json", "application/json; charset=utf-8"]):
        body = callback_body(txn_id=f"FT{n}", amount=1, note=order.payment_reference)

        result = deliver(payments, body, signed(body) | {"Content-Type": content_type})

        assert result.status_code == 200


def test_another_content_type_is_refused(payments, order):
    body = callback_body(note=order.payment_reference)

    with pytest.raises(UnsupportedMediaTypeError):
        deliver(payments, body, signed(body) | {"Content-Type": "text/plain"})


def test_an_unknown_bank_is_refused(payments, order):
    body = callback_body(note=order.payment_reference)

    with pytest.raises(NotFoundError):
        deliver(payments, body, bank="nobank")


def test_a_body_missing_fields_is_refused_with_pointers(payments):
    body = json.dumps({"txn_id": "FT001", "amount": 60_000}).encode()

    with pytest.raises(ValidationFailedError) as refused:
        deliver(payments, body)

    assert {"/account", "/currency", "/booked_at"} <= {p.pointer for p in refused.value.problems}


def test_an_unknown_reference_is_held_in_suspense_for_the_account_department(
    payments, order, store
):
    body = callback_body(note="chuyen tien phi CO")

    result = deliver(payments, body)

    held, _ = store.suspense("HN")
    assert result.body["outcome"] == "suspense"
    assert [(item.txn_id, item.suspense_reason) for item in held] == [
        ("FT001", SuspenseReason.UNKNOWN_REFERENCE)
    ]


def test_one_vnd_short_is_partial_with_the_remainder(payments, order, store, workflow):
    payments.await_payment(order.dossier_id, "token-1")

    result = deliver(payments, callback_body(amount=59_999, note=order.payment_reference))

    stored = store.order(order.payment_reference)
    assert result.body["outcome"] == "partial"
    assert (stored.status, stored.remainder_vnd) == (PaymentStatus.PARTIAL, 1)
    assert store.bank_transaction("techcombank", "FT001").remainder_vnd == 1
    assert workflow.completed == []


def test_one_vnd_over_is_paid_and_flagged_for_refund(payments, order, store):
    result = deliver(payments, callback_body(amount=60_001, note=order.payment_reference))

    stored = store.order(order.payment_reference)
    assert result.body["outcome"] == "overpaid"
    assert (stored.status, stored.refund_due_vnd) == (PaymentStatus.PAID, 1)
    assert PaymentFlag.REFUND_DUE in stored.flags


def test_a_reversal_after_payment_is_flagged_and_the_order_stays_paid(payments, order, store):
    deliver(payments, callback_body(note=order.payment_reference))
    reversal = callback_body(txn_id="RV001", kind="reversal", original_txn_id="FT001")

    result = deliver(payments, reversal)

    stored = store.order(order.payment_reference)
    assert result.body["outcome"] == "reversal_flagged"
    assert stored.status is PaymentStatus.PAID
    assert PaymentFlag.REVERSAL_AFTER_CREDIT in stored.flags


def test_failed_after_paid_does_nothing(payments, order, store, workflow):
    payments.await_payment(order.dossier_id, "token-1")
    deliver(payments, callback_body(note=order.payment_reference))
    paid = store.order(order.payment_reference)

    result = deliver(
        payments, callback_body(txn_id="FL001", kind="failed", note=order.payment_reference)
    )

    assert result.body["outcome"] == "ignored"
    assert store.order(order.payment_reference) == paid
    assert workflow.completed == [(order.dossier_id, "token-1")]


@pytest.mark.parametrize(
    "mangle",
    [
        str.lower,
        lambda ref: " ".join(ref),
        lambda ref: f"{ref[:2]}-{ref[2:6]}.{ref[6:]}",
        lambda ref: f"Công ty Việt Phát nộp phí {ref} ngày 3/12",
        lambda ref: f"MBVCB.123456.{ref}.CT tu 0011 toi 1903 phi C/O so"[:40],
    ],
    ids=["lower", "spaced", "punctuated", "text-around-with-diacritics", "truncated-after"],
)
def test_notes_mangled_by_banks_still_find_the_order(payments, order, mangle):
    note = mangle(order.payment_reference)

    result = deliver(payments, callback_body(note=note))

    assert result.body["outcome"] == "paid", note


def test_a_payment_made_before_the_await_step_completes_it_as_soon_as_it_starts(
    payments, order, workflow
):
    deliver(payments, callback_body(note=order.payment_reference))
    assert workflow.completed == []

    payments.await_payment(order.dossier_id, "token-late")

    assert workflow.completed == [(order.dossier_id, "token-late")]


def awaiting_payment(table, dossier_id: str, version: int = 3) -> None:
    """The dossier's status and version, as the dossier store keeps them beside its document."""
    table.put_item(
        Item={
            "PK": f"DOSSIER#{dossier_id}",
            "SK": "META",
            "status": "awaiting_payment",
            "version": version,
        }
    )


def test_operations_assign_a_suspense_item_to_a_dossier_with_a_history_event(
    payments, order, store, table, workflow
):
    awaiting_payment(table, order.dossier_id)
    deliver(payments, callback_body(note="nop phi"))

    assigned = payments.assign_suspense(
        "techcombank", "FT001", order.dossier_id, "ops-1", "payer's letter", NOW
    )

    audit = table.query(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :event)",
        ExpressionAttributeValues={":pk": f"DOSSIER#{order.dossier_id}", ":event": "EVENT#"},
    )["Items"]
    assert assigned.outcome is Outcome.PAID
    assert store.order(order.payment_reference).status is PaymentStatus.PAID
    assert store.suspense("HN") == ([], None)
    assert [item["action"] for item in audit] == ["payment_assigned"]
    event = HistoryEvent.model_validate_json(audit[0]["document"])
    assert (event.actor, event.at, event.seq, event.from_status, event.to_status) == (
        "ops-1",
        NOW,
        3,
        Status.AWAITING_PAYMENT,
        Status.AWAITING_PAYMENT,
    )
    assert event.reason == "payment techcombank FT001 of 60000 VND assigned (paid): payer's letter"
    with pytest.raises(NotFoundError):
        payments.assign_suspense("techcombank", "FT001", order.dossier_id, "ops-2", "again", NOW)


def test_a_suspense_item_cannot_be_assigned_to_an_order_without_its_dossier(payments, order, store):
    deliver(payments, callback_body(note="nop phi"))

    with pytest.raises(NotFoundError):
        payments.assign_suspense(
            "techcombank", "FT001", order.dossier_id, "ops-1", "payer's letter", NOW
        )

    assert store.bank_transaction("techcombank", "FT001").outcome is Outcome.SUSPENSE
    assert store.order(order.payment_reference).status is PaymentStatus.AWAITING


def test_a_foreign_currency_credit_cannot_be_assigned(payments, order):
    deliver(payments, callback_body(note=order.payment_reference, currency="USD"))

    with pytest.raises(RuleViolationError):
        payments.assign_suspense(
            "techcombank", "FT001", order.dossier_id, "ops-1", "payer's letter", NOW
        )


def test_a_callback_costs_at_most_three_dynamodb_calls(payments, order, table):
    calls = []
    table.meta.client.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )
    cases = [
        callback_body(txn_id="A", amount=30_000, note=order.payment_reference),
        callback_body(txn_id="A", amount=30_000, note=order.payment_reference),
        callback_body(txn_id="B", note="no reference"),
        callback_body(txn_id="B", note="no reference"),
        callback_body(txn_id="C", kind="reversal", original_txn_id="A"),
        callback_body(txn_id="D", kind="failed"),
    ]
    for body in cases:
        calls.clear()

        deliver(payments, body)

        assert len(calls) <= 3, (body, calls)


def test_a_department_not_yet_collecting_fees_gets_no_payment_order(payments):
    order = payments.create_payment_order(
        dossier_id="DOSSIER-9",
        trader_tax_code="0101234567",
        department=a_department("HN", ACCOUNT, (SUBMITTED + timedelta(days=1)).date()),
        fee_kind="issuance",
        submitted_at=SUBMITTED,
    )

    assert order is None


def test_signature_header_is_checked_before_the_body_is_read(payments):
    body = b"not json at all"
    headers = signed(body) | {SIGNATURE_HEADER: "00"}

    with pytest.raises(UnauthorizedError):
        deliver(payments, body, headers)


def test_a_department_collecting_fees_without_a_fee_account_is_refused(payments):
    department = a_department("HN", ACCOUNT, SUBMITTED.date()).model_copy(
        update={"fee_account": None}
    )

    with pytest.raises(RuleViolationError):
        payments.create_payment_order("DOSSIER-8", "0101234567", department, "issuance", SUBMITTED)


def test_a_reversal_must_name_the_credit_it_reverses(payments):
    with pytest.raises(ValidationFailedError):
        deliver(payments, callback_body(txn_id="RV1", kind="reversal"))


def test_a_reversal_of_a_credit_never_seen_is_held_in_suspense(payments, order, store):
    result = deliver(
        payments,
        callback_body(
            txn_id="RV1", kind="reversal", original_txn_id="NEVER", note=order.payment_reference
        ),
    )

    held, _ = store.suspense("HN")
    assert result.body["outcome"] == "suspense"
    assert [item.suspense_reason for item in held] == [SuspenseReason.UNKNOWN_ORIGINAL]
    assert store.order(order.payment_reference).version == 0


def test_money_sent_to_another_account_is_held_for_the_department_owning_that_account(
    payments, order, store
):
    other = a_department(
        "HCM", ACCOUNT.model_copy(update={"account_number": "7777777777"}), SUBMITTED.date()
    )
    payments.create_payment_order("DOSSIER-HCM", "0301234567", other, "issuance", SUBMITTED)

    deliver(payments, callback_body(note=order.payment_reference, account="7777777777"))

    held, _ = store.suspense("HCM")
    assert [(item.suspense_reason, item.dossier_id) for item in held] == [
        (SuspenseReason.WRONG_ACCOUNT, order.dossier_id)
    ]
    assert store.suspense("HN") == ([], None)


EVENTS = {
    "credit": callback_body(txn_id="FT001", note="{ref}"),
    "reversal": callback_body(txn_id="RV001", kind="reversal", original_txn_id="FT001"),
    "failed": callback_body(txn_id="FL001", kind="failed", note="{ref}"),
}


@pytest.mark.parametrize("arrival", list(itertools.permutations(EVENTS)), ids="-".join)
def test_a_credit_its_reversal_and_a_failure_end_the_same_in_any_order(
    payments, order, store, workflow, arrival
):
    payments.await_payment(order.dossier_id, "token-1")

    answers = {
        name: deliver(
            payments, EVENTS[name].replace(b"{ref}", order.payment_reference.encode())
        ).body["outcome"]
        for name in arrival
    }

    stored = store.order(order.payment_reference)
    reversal = store.bank_transaction("techcombank", "RV001")
    # paid, and flagged for operations: never paid without the reversal showing
    assert (stored.status, stored.received_vnd, stored.reversed_vnd) == (
        PaymentStatus.PAID,
        60_000,
        60_000,
    )
    assert PaymentFlag.REVERSAL_AFTER_CREDIT in stored.flags
    assert (reversal.outcome, reversal.payment_reference) == (
        Outcome.REVERSAL_FLAGGED,
        order.payment_reference,
    )
    assert store.suspense("HN") == ([], None)
    assert store.bank_transaction("techcombank", "FT001").credited
    assert answers["failed"] == "ignored"
    assert workflow.completed == [(order.dossier_id, "token-1")]


def test_a_credit_whose_reversal_came_first_answers_its_repeats_the_same(payments, order, store):
    deliver(payments, EVENTS["reversal"])
    credit = EVENTS["credit"].replace(b"{ref}", order.payment_reference.encode())

    first = deliver(payments, credit)
    again = deliver(payments, credit)
    reversal_again = deliver(payments, EVENTS["reversal"])

    assert first.body == again.body
    assert (first.duplicate, again.duplicate) == (False, True)
    assert store.order(order.payment_reference).reversed_vnd == 60_000
    assert (reversal_again.body["outcome"], reversal_again.duplicate) == ("reversal_flagged", True)
