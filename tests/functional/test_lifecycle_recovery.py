"""Operations recovering dossiers whose payment or receipt step failed (real state machine)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from chalicelib.domain.dossiers import Status
from chalicelib.domain.errors import ReceiptProviderError
from chalicelib.domain.receipt_provider import PublishedReceipt, ReceiptProvider
from chalicelib.domain.receipts import Collector, Receipt
from chalicelib.services.payments import Payments
from chalicelib.services.receipts import ReceiptDesk
from chalicelib.wiring import container
from tests.functional.exporter_api import ready_draft
from tests.functional.lifecycle_support import (
    Staff,
    live_department,
    pay,
    wait_for_status,
    wait_for_token,
)
from tests.stack import Stack, json_body

DEPARTMENT = "DAK-LAK"


@pytest.fixture
def department(stack: Stack) -> str:
    live_department(DEPARTMENT)
    return DEPARTMENT


class PaymentsLosingFirstToken:
    """The payments port, whose first hand-over of the await-payment token fails."""

    def __init__(self, payments: Payments) -> None:
        self._payments = payments
        self.failures_left = 1

    def await_payment(self, dossier_id: str, task_token: str) -> Any:
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("the payment order could not keep the token")
        return self._payments.await_payment(dossier_id, task_token)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._payments, name)


class RefusingProvider:
    """A receipt provider that refuses while `down`, then publishes through the real one."""

    def __init__(self, provider: ReceiptProvider) -> None:
        self._provider = provider
        self.name = provider.name
        self.issues_legal_receipts = provider.issues_legal_receipts
        self.down = True
        self.published: list[str] = []

    def publish(self, receipt: Receipt) -> PublishedReceipt:
        if self.down:
            raise ReceiptProviderError("The receipt provider is out of service")
        self.published.append(receipt.key.provider_key)
        return self._provider.publish(receipt)

    def lookup(self, provider_key: str) -> PublishedReceipt | None:
        return None if self.down else self._provider.lookup(provider_key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)


def wait_until(condition: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not so after {timeout}s")
        time.sleep(0.05)
    return found


def wait_for_receipt(dossier_id: str, timeout: float = 30.0) -> Receipt:
    deadline = time.monotonic() + timeout
    while True:
        receipt = container().receipt_store.receipt_of_dossier(dossier_id)
        if receipt is not None and receipt.status.value == "published":
            return receipt
        if time.monotonic() > deadline:
            raise AssertionError(f"dossier {dossier_id} has no published receipt: {receipt}")
        time.sleep(0.05)


def operations_retry(stack: Stack, dossier_id: str) -> Any:
    return stack.http.post(
        f"/operations/dossiers/{dossier_id}/retry", headers=stack.auth("operations")
    )


def attention_items(stack: Stack, department: str) -> list[dict[str, Any]]:
    listed = stack.http.get(
        f"/operations/attention?department={department}", headers=stack.auth("operations")
    )
    assert listed.status_code == 200, listed.body
    return list(json_body(listed)["items"])


def test_a_retry_after_a_failed_payment_step_waits_for_the_fee_again(
    stack: Stack, department: str
) -> None:
    # given a submitted dossier whose payment step failed before any fee came
    deps = container()
    deps.payments = PaymentsLosingFirstToken(deps.payments)  # type: ignore[assignment]
    exporter, dossier_id = ready_draft(stack)
    assert exporter.submit(dossier_id).status_code == 200
    stuck = wait_for_status(dossier_id, Status.NEEDS_ATTENTION)
    assert stuck.attention.step == "payment"

    # when operations retry it
    retried = operations_retry(stack, dossier_id)

    # then the dossier waits for the fee: no review, no receipt until the bank pays
    assert retried.status_code == 200, retried.body
    wait_until(lambda: container().payments.store.order_for_dossier(dossier_id).task_token)
    assert container().dossier_store.get_dossier(dossier_id).status == Status.AWAITING_PAYMENT
    assert container().receipt_store.receipt_of_dossier(dossier_id) is None

    assert pay(stack, dossier_id, "FT-RETRY-1").status_code == 200
    wait_for_status(dossier_id, Status.PAID)
    wait_for_token(dossier_id, "review")
    assert wait_for_receipt(dossier_id).fee.amount == 60_000


def test_a_retry_after_a_failed_payment_step_resumes_at_review_once_the_fee_came(
    stack: Stack, department: str
) -> None:
    # given a dossier whose payment step failed, and whose fee the bank then reported
    deps = container()
    deps.payments = PaymentsLosingFirstToken(deps.payments)  # type: ignore[assignment]
    exporter, dossier_id = ready_draft(stack)
    assert exporter.submit(dossier_id).status_code == 200
    wait_for_status(dossier_id, Status.NEEDS_ATTENTION)
    assert pay(stack, dossier_id, "FT-RETRY-2").status_code == 200

    # when operations retry it
    retried = operations_retry(stack, dossier_id)

    # then it is paid and waits for review, with the receipt of the fee paid
    assert retried.status_code == 200, retried.body
    wait_for_status(dossier_id, Status.PAID)
    wait_for_token(dossier_id, "review")
    history = json_body(exporter.get(dossier_id))["history"]
    assert [event["to_status"] for event in history][-3:] == [
        "needs_attention", "awaiting_payment", "paid"
    ]  # fmt: skip
    assert wait_for_receipt(dossier_id).fee.amount == 60_000


def test_a_failed_receipt_lets_review_and_signing_go_on_and_operations_issue_it_once(
    stack: Stack, department: str
) -> None:
    # given a receipt provider that refuses while the dossier is paid, reviewed and signed
    deps = container()
    real_desk = deps.receipt_desk
    provider: list[RefusingProvider] = []

    def refusing_desk(collector: Collector) -> ReceiptDesk:
        desk = real_desk(collector)
        if not provider:
            provider.append(RefusingProvider(desk.provider))
        return ReceiptDesk(store=desk.store, provider=provider[0], now=desk.now)

    deps.receipt_desk = refusing_desk  # type: ignore[method-assign]
    staff = Staff(stack, department)
    exporter, dossier_id = ready_draft(stack)
    assert exporter.submit(dossier_id).status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_PAYMENT)
    assert pay(stack, dossier_id, "FT-RECEIPT-1").status_code == 200
    flagged = wait_until(
        lambda: container().dossier_store.get_dossier(dossier_id).receipt_attention
    )
    assert staff.claim(dossier_id).status_code == 200
    assert staff.decide(dossier_id, "approve").status_code == 200
    assert staff.approve_signing(dossier_id).status_code == 200
    issued = wait_for_status(dossier_id, Status.ISSUED, Status.NEEDS_ATTENTION)
    assert issued.status == Status.ISSUED, issued.attention

    # then the dossier is on the attention list for its receipt
    flagged = wait_until(
        lambda: container().dossier_store.get_dossier(dossier_id).receipt_attention
    )
    assert flagged.step == "receipt"
    assert flagged.error == "ReceiptProviderError"
    listed = attention_items(stack, department)
    assert [(item["dossier_id"], item["attention_step"]) for item in listed] == [
        (dossier_id, "receipt")
    ]
    assert listed[0]["status"] == "issued"
    queue = stack.http.get(
        f"/review/queue?status=needs_attention&department={department}",
        headers=stack.auth("operations"),
    )
    assert json_body(queue)["items"] == listed

    # when the provider is back and operations retry, twice
    provider[0].down = False
    first = operations_retry(stack, dossier_id)
    second = operations_retry(stack, dossier_id)

    # then the receipt is issued once, and the dossier leaves the list
    assert first.status_code == 200, first.body
    assert json_body(first)["receipt"] and json_body(first)["execution_arn"] is None
    assert second.status_code == 409
    assert len(provider[0].published) == 1
    assert wait_for_receipt(dossier_id).fee.amount == 60_000
    assert container().dossier_store.get_dossier(dossier_id).receipt_attention is None
    assert attention_items(stack, department) == []
    receipt = stack.http.get(f"/dossiers/{dossier_id}/receipt", headers=exporter.headers)
    assert receipt.status_code == 200, receipt.body
