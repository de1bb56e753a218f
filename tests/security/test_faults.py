"""Faults injected where our adapters meet AWS: throttling and timeouts from DynamoDB, S3 and
KMS, raised by a botocore event hook on the clients the stack's functions use. Each step fails
with TransientError (which the state machine retries), and its retry ends in the right state:
no second number, no second credit, no half-written record. The lifecycle tests inject while
the real state machine runs, so its Retry and Catch decide what happens."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib.domain.dossiers import Consignee, Status
from chalicelib.domain.errors import TransientError
from chalicelib.domain.payments import PaymentStatus
from chalicelib.domain.reference_numbers import parse_reference
from chalicelib.handlers import tasks
from chalicelib.wiring import container
from tests.functional.lifecycle_support import wait_for_status
from tests.security.world import (
    BANK,
    STATEMENTS,
    Lifecycle,
    build_world,
    put_dossier,
    register_department,
    statement_notifications_held,
)
from tests.stack import Stack, json_body


def throttled(service: str, operation: str) -> Exception:
    code = {"dynamodb": "ProvisionedThroughputExceededException"}.get(
        service, "ThrottlingException"
    )
    return ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, operation)


def timed_out(service: str, operation: str) -> Exception:
    return ReadTimeoutError(endpoint_url=f"https://{service}.ap-southeast-1.amazonaws.com")


@contextmanager
def failing(
    client: Any,
    operation: str,
    times: int,
    fault: Callable[[str, str], Exception],
    when: str = "before-call",
    matching: Callable[[dict[str, Any]], bool] | None = None,
) -> Iterator[list[str]]:
    """The first `times` calls of `operation` on `client` (those whose serialized request
    `matching` accepts, when given) fail with `fault`; yields the log.

    `before-call` fails before the request leaves; `after-call` after AWS has done the work,
    as when the answer is lost on the way back.
    """
    service = client.meta.service_model.service_name
    failures: list[str] = []

    def inject(**event: Any) -> None:
        if matching is not None and not matching(event.get("params", {})):
            return
        if len(failures) < times:
            failures.append(operation)
            raise fault(service, operation)

    event = f"{when}.{client.meta.service_model.endpoint_prefix}.{operation}"
    client.meta.events.register(event, inject, unique_id=f"fault-{operation}")
    try:
        yield failures
    finally:
        client.meta.events.unregister(event, unique_id=f"fault-{operation}")


def reference_counter_write(request: dict[str, Any]) -> bool:
    """The transaction that draws a reference number: it moves the `SEQ#` counter."""
    return b'"SEQ#' in bytes(request.get("body") or b"")


def rendered_pdf_write(request: dict[str, Any]) -> bool:
    return str(request.get("url_path", "")).endswith("/unsigned.pdf")


def published_pdf_write(request: dict[str, Any]) -> bool:
    return (
        re.search(r"/certificates/[^/]+/[0-9a-f]{64}\.pdf$", request.get("url_path", ""))
        is not None
    )


def issued_records(stack: Stack) -> tuple[list[str], int]:
    """Every certificate reference number in the table, and how many receipts it holds."""
    table = stack.resources.refs["Table"]
    items = [
        item
        for page in stack.client("dynamodb").get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
    ]
    metas = [item for item in items if item["SK"]["S"] == "META"]
    references = [item["PK"]["S"].removeprefix("CO#") for item in metas
                  if item["PK"]["S"].startswith("CO#")]  # fmt: skip
    receipts = [item for item in metas if item["PK"]["S"].startswith("RECEIPT#")]
    return references, len(receipts)


def retried_steps(stack: Stack, dossier_id: str) -> list[tuple[str, str]]:
    """(state, error) of each failed task attempt in the dossier's executions."""
    sfn, failed = stack.client("stepfunctions"), []
    for execution in sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]:
        if not execution["name"].startswith(dossier_id):
            continue
        state = ""
        for event in stack.history(execution["executionArn"]):
            if event["type"].endswith("StateEntered"):
                state = event["stateEnteredEventDetails"]["name"]
            if event["type"] == "TaskFailed":
                failed.append((state, event["taskFailedEventDetails"].get("error", "")))
    return failed


def test_transient_faults_while_the_workflow_runs_are_retried_and_issue_one_certificate(
    stack: Stack,
) -> None:
    lifecycle = Lifecycle(stack)
    dynamodb, s3 = container().table.meta.client, container().s3

    with (
        failing(
            dynamodb, "TransactWriteItems", 2, throttled, matching=reference_counter_write
        ) as throttles,
        failing(s3, "PutObject", 1, throttled, matching=rendered_pdf_write) as lost_writes,
    ):
        lifecycle.submit_and_pay()
        lifecycle.approve()
        issued = lifecycle.approve_signing()

    assert (len(throttles), len(lost_writes)) == (2, 1), "the faults were not injected"
    assert issued.status is Status.ISSUED, issued.attention
    assert ("RenderCertificate", "TransientError") in retried_steps(stack, lifecycle.dossier_id)
    references, receipts = issued_records(stack)
    record = container().certificate_store.get_by_dossier(lifecycle.dossier_id)
    assert references == [record.reference_number]
    assert record.status.value == "valid"
    assert receipts == 1


def test_a_persistent_publication_fault_needs_attention_and_an_operations_retry_issues(
    stack: Stack,
) -> None:
    lifecycle = Lifecycle(stack)
    lifecycle.submit_and_pay()
    lifecycle.approve()
    allocated = container().certificate_store.get_by_dossier(lifecycle.dossier_id)

    with failing(
        container().s3, "PutObject", 1000, throttled, matching=published_pdf_write
    ) as refused_writes:
        stuck = lifecycle.approve_signing()
    attempts = retried_steps(stack, lifecycle.dossier_id).count(
        ("PublishCertificate", "TransientError")
    )
    retried = stack.http.post(f"/operations/dossiers/{lifecycle.dossier_id}/retry",
                              headers=stack.auth("operations"))  # fmt: skip
    issued = wait_for_status(lifecycle.dossier_id, Status.ISSUED, Status.NEEDS_ATTENTION)

    assert stuck.status is Status.NEEDS_ATTENTION
    assert attempts == len(refused_writes) == 4, "the state machine's three retries"
    assert (stuck.attention.step, stuck.attention.error) == ("publish", "TransientError")
    assert retried.status_code == 200, retried.body
    assert issued.status is Status.ISSUED, issued.attention
    references, receipts = issued_records(stack)
    record = container().certificate_store.get_by_dossier(lifecycle.dossier_id)
    assert references == [allocated.reference_number] == [record.reference_number]
    assert record.status.value == "valid"
    assert receipts == 1


def retried(step: Callable[[], Any], attempts: int = 4) -> tuple[Any, int]:
    """Run a step as the state machine's Retry does: again after each TransientError."""
    for attempt in range(1, attempts + 1):
        try:
            return step(), attempt
        except TransientError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("fault", "when"),
    [(throttled, "before-call"), (timed_out, "before-call"), (timed_out, "after-call")],
    ids=["throttled", "timed-out", "answer-lost"],
)
def test_reference_allocation_survives_dynamodb_faults_without_a_second_number(
    stack: Stack, fault: Callable[[str, str], Exception], when: str
) -> None:
    code = container().departments.seed_registry("system:test")[0]
    consignee = Consignee(name="Siam Coffee Co", address="1 Sukhumvit, Bangkok", country="TH")
    first, second = (
        put_dossier(stack, Status.APPROVED, department_code=code, consignee=consignee)
        for _ in range(2)
    )

    client = container().table.meta.client
    with failing(client, "TransactWriteItems", 3, fault, when) as failures:
        result, _ = retried(lambda: tasks.allocate_reference({"dossier_id": first}, None))

    again = tasks.allocate_reference({"dossier_id": first}, None)
    other = tasks.allocate_reference({"dossier_id": second}, None)
    assert failures, "no fault was injected"
    assert again == result
    assert [parse_reference(r["reference_number"]).sequence for r in (result, other)] == [1, 2]


def test_a_callback_during_dynamodb_throttling_is_answered_503_and_its_retry_pays_once(
    stack: Stack,
) -> None:
    world = build_world(stack)
    body = json.dumps(
        {
            "txn_id": "FT-THROTTLED",
            "kind": "credit",
            "account": "19030000000001",
            "amount": 60_000,
            "currency": "VND",
            "note": world.payment_reference,
            "booked_at": "2026-12-03T09:10:00+07:00",
        }
    ).encode()
    path = f"/bank/{BANK}/callbacks"

    client = container().payments.store._table.meta.client
    with failing(client, "TransactWriteItems", 3, throttled):
        refused = stack.http.post(path, headers=world.bank_headers(body), body=body)
    accepted = stack.http.post(path, headers=world.bank_headers(body), body=body)
    repeated = stack.http.post(path, headers=world.bank_headers(body), body=body)

    assert refused.status_code == 503
    assert (accepted.status_code, json_body(accepted)["outcome"]) == (200, "paid")
    assert json_body(repeated) == json_body(accepted)
    order = container().payments.store.order(world.payment_reference)
    assert (order.status, order.received_vnd) == (PaymentStatus.PAID, 60_000)


@pytest.mark.parametrize("fault", [throttled, timed_out], ids=["throttled", "timed-out"])
def test_a_statement_unreadable_for_a_while_is_reconciled_once_when_s3_answers(
    stack: Stack, fault: Callable[[str, str], Exception]
) -> None:
    register_department("HP")
    key = "statements/techcombank/HP/2026-12-02/a.sta"
    statement = (
        b":20:TCB20261202\n:25:970407/19030000000001\n:28C:00007/001\n"
        b":60F:C261202VND1000000,\n:61:2612021202C60000,NTRFNONREF//FT1\n"
        b":86:THANH TOAN LE PHI COAB12CD34X\n:62F:C261202VND1060000,\n-\n"
    )
    reconciliation = container().reconciliation

    with statement_notifications_held(stack):
        stack.client("s3").put_object(Bucket=STATEMENTS, Key=key, Body=statement)
        # S3 transfers retry timeouts themselves: six in a row outlast them.
        with failing(container().s3, "GetObject", 6, fault), pytest.raises(TransientError):
            reconciliation.reconcile_statement_object(STATEMENTS, key)
        outcomes = [reconciliation.reconcile_statement_object(STATEMENTS, key) for _ in range(2)]

    assert [outcome.status for outcome in outcomes] == ["reconciled", "duplicate"]


def test_kms_throttling_while_signing_is_transient(stack: Stack) -> None:
    from chalicelib.adapters.signing import _kms_sign

    kms = container().kms
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["KeyId"]

    with failing(kms, "Sign", 1, throttled), pytest.raises(TransientError):
        _kms_sign(kms, key_id, b"signed attributes")
    signature = _kms_sign(kms, key_id, b"signed attributes")

    assert len(signature) == 256


def test_an_unreachable_time_stamp_authority_is_transient() -> None:
    from chalicelib.adapters.certificate_pdf import render_certificate_pdf
    from chalicelib.adapters.signing import SigningSecret, local_signer
    from chalicelib.domain.certificate import SignatureAppearance
    from tests.functional.certificates.samples import (
        SAMPLE_NAMES,
        content_from_sample,
        load_sample,
    )
    from tools.test_ca import create_test_pki

    secret = SigningSecret.model_validate(create_test_pki().signing_secret())
    # Nothing listens on the discard port: the connection is refused at once.
    signer = local_signer(secret, tsa_url="http://127.0.0.1:9/tsa")
    content = content_from_sample(
        load_sample(SAMPLE_NAMES[0]), "VN-TH 26/47/00001", "https://x.test/verify/a?code=b"
    )
    rendered = render_certificate_pdf(content)
    appearance = SignatureAppearance(
        content.signer_name, content.department_name, rendered.signature_box
    )

    with pytest.raises(TransientError):
        signer.sign(rendered.pdf, appearance)
