"""The payment routes through the app on the in-process local stack."""

import base64
import json
import os
import threading
import uuid
from datetime import timedelta

import pytest

from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from chalicelib.domain.departments import FeeAccount
from chalicelib.domain.payments import PaymentStatus
from chalicelib.domain.vietqr import decode
from chalicelib.wiring import container
from tests.qr_reader import scanned
from tests.stack import json_body

from .conftest import a_department

SECRET_NAME = "coissuer/local/bank/vietcombank"
CURRENT, PREVIOUS = "route-current-secret", "route-previous-secret"
DEPARTMENT = "DAKLAK"
TRADER = "6002837411"
ACCOUNT = FeeAccount(
    bank_bin="970436", account_number="19030000000001", account_name="SO CONG THUONG DAK LAK"
)


@pytest.fixture
def api(stack, atomic_writes):
    """The local stack with a bank of our own, whose secret the stack removes afterwards."""
    stack.client("secretsmanager").create_secret(
        Name=SECRET_NAME, SecretString=json.dumps({"current": CURRENT, "previous": PREVIOUS})
    )
    return stack


@pytest.fixture
def order(api):
    return container().payments.create_payment_order(
        dossier_id=f"DOSSIER-{uuid.uuid4().hex[:8]}",
        trader_tax_code=TRADER,
        department=a_department(DEPARTMENT, ACCOUNT, api.clock.now.date()),
        fee_kind="issuance",
        submitted_at=api.clock.now,
    )


def body_for(note: str, amount: int = 60_000, txn_id: str | None = None, **extra) -> bytes:
    fields = {
        "txn_id": txn_id or f"FT{uuid.uuid4().hex[:12]}",
        "kind": "credit",
        "account": ACCOUNT.account_number,
        "amount": amount,
        "currency": "VND",
        "note": note,
        "booked_at": "2026-12-03T09:10:00+07:00",
    }
    return json.dumps(fields | extra).encode()


def post(
    api,
    body: bytes,
    secret: str = CURRENT,
    skew: int = 0,
    signed_body: bytes | None = None,
    content_type: str = "application/json",
):
    timestamp = str(int(api.clock.now.timestamp()) + skew)
    headers = {
        "Content-Type": content_type,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, signed_body or body),
    }
    return api.http.post("/bank/vietcombank/callbacks", body=body, headers=headers)


def stored_order(order):
    return container().payments.store.order(order.payment_reference)


def test_exporter_sees_the_qr_and_transfer_instructions_of_their_dossier(api, order):
    response = api.http.get(
        f"/dossiers/{order.dossier_id}/payment",
        headers=api.auth("exporter", tax_code=TRADER),
    )

    body = json_body(response)
    assert response.status_code == 200
    assert (body["amount_vnd"], body["status"]) == (60_000, "awaiting_payment")
    qr = decode(body["qr_payload"])
    assert (qr.bank_bin, qr.account_number, qr.amount_vnd, qr.purpose) == (
        "970436",
        ACCOUNT.account_number,
        60_000,
        order.payment_reference,
    )
    assert scanned(base64.b64decode(body["qr_png_base64"])) == [body["qr_payload"]]
    assert body["transfer"] == {
        "bank_name": "Ngân hàng TMCP Ngoại Thương Việt Nam",
        "bank_short_name": "Vietcombank",
        "bank_bin": "970436",
        "account_number": ACCOUNT.account_number,
        "account_name": ACCOUNT.account_name,
        "amount_vnd": 60_000,
        "transfer_note": order.payment_reference,
    }


def test_another_exporter_cannot_see_the_payment_order(api, order):
    response = api.http.get(
        f"/dossiers/{order.dossier_id}/payment",
        headers=api.auth("exporter", tax_code="0100000001"),
    )

    assert response.status_code == 404


def test_a_signed_callback_marks_the_dossier_paid_exactly_once(api, order):
    body = body_for(order.payment_reference)

    first = post(api, body)
    repeat = post(api, body, skew=30)

    assert (first.status_code, repeat.status_code) == (200, 200)
    assert (
        json_body(first)
        == json_body(repeat)
        == {
            "status": "accepted",
            "bank": "vietcombank",
            "txn_id": json.loads(body)["txn_id"],
            "outcome": "paid",
        }
    )
    assert (stored_order(order).status, stored_order(order).received_vnd) == (
        PaymentStatus.PAID,
        60_000,
    )


def test_concurrent_duplicate_callbacks_credit_once(api, order, monkeypatch):
    # chalice's test client swaps os.environ around each request, which threads interleave:
    # the original mapping is put back when the test ends.
    monkeypatch.setattr(os, "environ", os.environ)
    body = body_for(order.payment_reference)
    barrier = threading.Barrier(6)
    responses = []

    def deliver():
        barrier.wait()
        responses.append(post(api, body))

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [response.status_code for response in responses] == [200] * 6
    assert len({response.body for response in responses}) == 1
    assert stored_order(order).received_vnd == 60_000


def test_a_tampered_body_is_refused_with_401(api, order):
    body = body_for(order.payment_reference)

    response = post(api, body.replace(b"60000", b"6000000"), signed_body=body)

    assert response.status_code == 401
    assert json_body(response)["type"].endswith("/unauthorized")
    assert stored_order(order).received_vnd == 0


def test_a_reserialised_body_with_the_original_signature_is_refused(api, order):
    body = body_for(order.payment_reference)
    reserialised = json.dumps(dict(sorted(json.loads(body).items())), indent=2).encode()

    response = post(api, reserialised, signed_body=body)

    assert response.status_code == 401
    assert stored_order(order).received_vnd == 0


@pytest.mark.parametrize(
    ("skew", "status"), [(-299, 200), (299, 200), (-301, 401), (301, 401), (600, 401)]
)
def test_timestamps_are_accepted_within_300_seconds_only(api, order, skew, status):
    response = post(api, body_for(order.payment_reference), skew=skew)

    assert response.status_code == status


def test_a_wrong_secret_is_refused(api, order):
    response = post(api, body_for(order.payment_reference), secret="somebody-else")

    assert response.status_code == 401


def test_the_old_secret_works_during_rotation(api, order):
    response = post(api, body_for(order.payment_reference), secret=PREVIOUS)

    assert (response.status_code, json_body(response)["outcome"]) == (200, "paid")


def test_a_charset_in_the_content_type_is_accepted(api, order):
    response = post(
        api, body_for(order.payment_reference), content_type="application/json; charset=utf-8"
    )

    assert response.status_code == 200


def test_an_unknown_reference_is_held_and_operations_assign_it(api, order):
    container().table.put_item(
        Item={"PK": f"DOSSIER#{order.dossier_id}", "SK": "META", "status": "awaiting_payment",
              "version": 3}
    )  # fmt: skip
    body = body_for("CHUYEN KHOAN PHI C/O")
    txn_id = json.loads(body)["txn_id"]
    operations = api.auth("operations", department=DEPARTMENT)

    held = post(api, body)
    listed = api.http.get("/operations/payments/suspense?limit=200", headers=operations)
    assigned = api.http.post(
        f"/operations/payments/suspense/vietcombank/{txn_id}/assignment",
        headers=operations,
        body=json.dumps({"dossier_id": order.dossier_id, "reason": "payer sent the receipt"}),
    )

    assert json_body(held)["outcome"] == "suspense"
    assert txn_id in [item["txn_id"] for item in json_body(listed)["items"]]
    assert (assigned.status_code, json_body(assigned)["outcome"]) == (200, "paid")
    assert json_body(assigned)["assigned_by"].startswith("operations:")
    assert stored_order(order).status is PaymentStatus.PAID


def test_an_exporter_cannot_list_suspense(api):
    response = api.http.get(
        "/operations/payments/suspense?department=DAKLAK",
        headers=api.auth("exporter", tax_code=TRADER),
    )

    assert response.status_code == 403


def test_one_vnd_short_is_partial_and_the_qr_asks_for_the_remainder(api, order):
    response = post(api, body_for(order.payment_reference, amount=59_999))
    view = api.http.get(
        f"/dossiers/{order.dossier_id}/payment", headers=api.auth("exporter", tax_code=TRADER)
    )

    assert json_body(response)["outcome"] == "partial"
    assert (json_body(view)["remainder_vnd"], json_body(view)["transfer"]["amount_vnd"]) == (1, 1)
    (payload,) = scanned(base64.b64decode(json_body(view)["qr_png_base64"]))
    assert payload == json_body(view)["qr_payload"]
    assert decode(payload).amount_vnd == 1
    assert decode(json_body(view)["qr_payload"]).amount_vnd == 1


def test_one_vnd_over_is_paid_and_flagged_for_refund(api, order):
    response = post(api, body_for(order.payment_reference, amount=60_001))

    assert json_body(response)["outcome"] == "overpaid"
    assert (stored_order(order).status, stored_order(order).refund_due_vnd) == (
        PaymentStatus.PAID,
        1,
    )


def test_a_reversal_after_payment_is_flagged_not_downgraded(api, order):
    credit = body_for(order.payment_reference)
    post(api, credit)
    reversal = body_for("", kind="reversal", original_txn_id=json.loads(credit)["txn_id"])

    response = post(api, reversal)

    assert json_body(response)["outcome"] == "reversal_flagged"
    assert stored_order(order).status is PaymentStatus.PAID
    assert "reversal_after_credit" in stored_order(order).flags


def test_failed_after_paid_changes_nothing(api, order):
    post(api, body_for(order.payment_reference))
    paid = stored_order(order)

    response = post(api, body_for(order.payment_reference, kind="failed"))

    assert json_body(response)["outcome"] == "ignored"
    assert stored_order(order) == paid


def test_an_invalid_body_is_422_with_pointers(api):
    body = json.dumps({"txn_id": "FTX", "amount": "sixty"}).encode()

    response = post(api, body)

    assert response.status_code == 422
    assert "/amount" in [error["pointer"] for error in json_body(response)["errors"]]


def test_skew_of_ten_minutes_is_refused(api, order):
    response = post(
        api, body_for(order.payment_reference), skew=-int(timedelta(minutes=10).total_seconds())
    )

    assert response.status_code == 401


def test_an_assignment_with_an_unknown_field_is_refused_with_its_pointer(api, order):
    operations = api.auth("operations", department=DEPARTMENT)
    body = {"dossier_id": order.dossier_id, "reason": "payer sent the receipt", "amount": 1}

    response = api.http.post(
        "/operations/payments/suspense/vietcombank/FT-ANY/assignment",
        headers=operations,
        body=json.dumps(body),
    )

    assert response.status_code == 422, response.body
    assert [e["pointer"] for e in json_body(response)["errors"]] == ["/amount"]


def test_a_suspense_query_with_an_unknown_parameter_is_refused_with_its_pointer(api):
    operations = api.auth("operations", department=DEPARTMENT)

    response = api.http.get("/operations/payments/suspense?limit=5&status=all", headers=operations)

    assert response.status_code == 422, response.body
    assert [e["pointer"] for e in json_body(response)["errors"]] == ["/query/status"]
