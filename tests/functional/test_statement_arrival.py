"""Statements dropped into the stage's statements bucket reach the reconcile function through
S3 -> SQS -> Lambda on the in-process stack; operations read the report over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.payment_ledger import payments_partition, payments_sort_key
from chalicelib.domain.payment_reference import check_character
from chalicelib.handlers import events
from tests.sample_files import external_sample
from tests.stack import Stack, json_body

STATEMENTS = "coissuer-local-statements"
DOCUMENTS = "coissuer-local-documents"
DEAD_LETTERS = "coissuer-local-statements-dlq"
STATEMENTS_QUEUE = "coissuer-local-statements"
ACCOUNT = "19030000000001"


@pytest.fixture(autouse=True)
def empty_statements_queue(stack: Stack) -> None:
    """Drop S3's test event, sent when the bucket's notification was configured.

    NOTE: provisioning leaves that event queued before the function is connected, so each
    real message would otherwise be handled one delivery late on the in-process stack.
    """
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=STATEMENTS_QUEUE)["QueueUrl"]
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def reference(body: str) -> str:
    return "CO" + body + check_character(body)


REF_PAID, REF_LOST = reference("7K3M9Q2X"), reference("AB12CD34")


def table(stack: Stack) -> Any:
    import boto3

    return boto3.resource("dynamodb", region_name="ap-southeast-1").Table("coissuer-local")


def register_department(stack: Stack, code: str, account: str, state: str = "live") -> None:
    """A department profile stored as the department registry stores it."""
    from tests.functional.exporter_api import seed_department

    seed_department(code, state=state, account_number=account)


def record_payment(stack: Stack, ref: str) -> None:
    table(stack).put_item(
        Item={
            "PK": f"BANKTXN#TCB#TXN-{ref}",
            "SK": "BANKTXN",
            "GSI3PK": payments_partition("HP"),
            "GSI3SK": payments_sort_key(datetime(2026, 12, 2).date(), "TCB", f"TXN-{ref}"),
            "payment_reference": ref,
            "amount": Decimal(60000),
            "txn_id": f"TXN-{ref}",
            "dossier_id": f"D-{ref}",
            "booked_at": datetime(2026, 12, 2, 3, tzinfo=UTC).isoformat(),
            "outcome": "paid",
        }
    )


def statement_file(sequence: int = 7) -> bytes:
    return (
        f":20:TCB20261202\n:25:970407/{ACCOUNT}\n:28C:{sequence:05d}/001\n"
        ":60F:C261202VND1000000,\n"
        f":61:2612021202C60000,NTRFNONREF//FT1\n:86:THANH TOAN LE PHI {REF_PAID}\n"
        f":61:2612021202C60000,NTRFNONREF//FT2\n:86:le phi {REF_LOST.lower()}\n"
        ":62F:C261202VND1120000,\n-\n"
    ).encode()


def an_order(stack: Stack, dossier_id: str = "DOSSIER-RECON-1") -> Any:
    """A payment order of a live HP department collecting fees, as a submission makes it."""
    from chalicelib.adapters.department_store import department_from_item
    from chalicelib.wiring import container

    register_department(stack, "HP", ACCOUNT)
    seed = table(stack).get_item(Key={"PK": "DEPT#HP", "SK": "PROFILE"})["Item"]
    department = department_from_item(seed).model_copy(
        update={"fee_collection_from": datetime(2026, 1, 1).date()}
    )
    return container().payments.create_payment_order(
        dossier_id=dossier_id,
        trader_tax_code="0101234567",
        department=department,
        fee_kind="issuance",
        submitted_at=datetime(2026, 12, 2, 1, tzinfo=UTC),
    )


def statement_of(*entries: tuple[int, str], sequence: int = 7) -> bytes:
    """A balanced statement of 2 Dec 2026 on the HP fee account, one credit per entry."""
    lines = "".join(
        f":61:2612021202C{amount},NTRFNONREF//FT{number}\n:86:{note}\n"
        for number, (amount, note) in enumerate(entries, start=1)
    )
    closing = 1_000_000 + sum(amount for amount, _ in entries)
    return (
        f":20:TCB20261202\n:25:970407/{ACCOUNT}\n:28C:{sequence:05d}/001\n"
        f":60F:C261202VND1000000,\n{lines}:62F:C261202VND{closing},\n-\n"
    ).encode()


def stored_reports(stack: Stack) -> list[bytes]:
    [reconciled] = day_files(stack)
    s3 = stack.client("s3")
    return [
        s3.get_object(Bucket=DOCUMENTS, Key=key)["Body"].read() for key in reconciled["report_keys"]
    ]


def drop(stack: Stack, key: str, body: bytes) -> None:
    stack.client("s3").put_object(Bucket=STATEMENTS, Key=key, Body=body)


def day_files(stack: Stack, department: str = "HP", day: str = "2026-12-02") -> list[dict]:
    response = stack.http.get(
        f"/operations/reconciliation/{department}/{day}", headers=stack.auth("operations")
    )
    assert response.status_code == 200, response.body
    return json_body(response)["files"]


def dead_letters(stack: Stack) -> list[str]:
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=DEAD_LETTERS)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [message["Body"] for message in messages]


def test_dropped_statement_is_reconciled_and_its_report_served_to_operations(stack: Stack) -> None:
    register_department(stack, "HP", ACCOUNT)
    record_payment(stack, REF_PAID)

    drop(stack, "statements/techcombank/HP/2026-12-02/tcb-20261202.sta", statement_file())

    [reconciled] = day_files(stack)
    assert reconciled["status"] == "reconciled"
    report = stack.http.get(
        "/operations/reconciliation/HP/2026-12-02/report?format=csv",
        headers=stack.auth("operations"),
    )
    assert report.status_code == 200
    lines = (
        report.body.decode().splitlines()
        if isinstance(report.body, bytes)
        else report.body.splitlines()
    )
    assert lines[1].startswith(f"{REF_PAID},matched")
    assert lines[2].startswith(f"{REF_LOST},missed_callback")


def test_same_file_dropped_twice_is_reconciled_once(stack: Stack) -> None:
    register_department(stack, "HP", ACCOUNT)

    drop(stack, "statements/techcombank/HP/2026-12-02/first.sta", statement_file())
    drop(stack, "statements/techcombank/HP/2026-12-02/again.sta", statement_file())

    assert len(day_files(stack)) == 1
    missed = table(stack).query(
        KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": "RECONMISSED#HP"}
    )["Items"]
    assert sorted(item["payment_reference"] for item in missed) == sorted([REF_PAID, REF_LOST])


def test_file_for_an_unknown_department_lands_in_the_dead_letter_queue(stack: Stack) -> None:
    drop(stack, "statements/techcombank/XX/2026-12-02/a.sta", statement_file())

    [body] = dead_letters(stack)
    assert "statements%2Ftechcombank%2FXX%2F2026-12-02%2Fa.sta" in body
    assert day_files(stack, "XX") == []


def test_sample_camt_with_missing_entries_is_flagged_for_operations(stack: Stack) -> None:
    register_department(stack, "HP", "NL18INGB00012345678")
    sample = external_sample("camt053_v02_batch_txsummary.xml").read_bytes()

    drop(stack, "statements/ing/HP/2026-12-02/camt.xml", sample)

    [flagged] = day_files(stack)
    assert flagged["status"] == "flagged"


def test_arrival_check_alerts_live_departments_without_yesterdays_statement(stack: Stack) -> None:

    register_department(stack, "HP", ACCOUNT)
    register_department(stack, "LS", "19030000000002")
    register_department(stack, "NB", "19030000000003", state="sandbox")
    drop(stack, "statements/techcombank/HP/2026-12-02/a.sta", statement_file())
    stack.clock.now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)

    result = events.check_statements_arrived({}, None)

    assert result == {"day": "2026-12-02", "missing": ["LS"]}


def test_monthly_remittance_runs_for_each_live_department(stack: Stack) -> None:

    register_department(stack, "HP", ACCOUNT)
    record_payment(stack, REF_PAID)
    stack.clock.now = datetime(2027, 1, 1, 1, 0, tzinfo=UTC) - timedelta(days=0)

    result = events.monthly_remittance({"month": "2026-12"}, None)

    [key] = result["statements"]
    stored = json.loads(stack.client("s3").get_object(Bucket=DOCUMENTS, Key=key)["Body"].read())
    assert (stored["payments"], stored["total_vnd"], stored["due_by"]) == (1, 60000, "2027-01-05")


def test_reconciliation_routes_need_an_operations_role(stack: Stack) -> None:
    response = stack.http.get(
        "/operations/reconciliation/HP/2026-12-02",
        headers=stack.auth("specialist", department="HP"),
    )

    assert response.status_code == 403


def test_rerun_after_missed_callbacks_were_recorded_gives_the_same_report(stack: Stack) -> None:
    # given a statement whose only credit no callback announced, reconciled once: the credit
    # is recorded through the payment service and the dossier's order is paid
    from chalicelib.wiring import container

    order = an_order(stack)
    key = "statements/techcombank/HP/2026-12-02/tcb.sta"
    drop(stack, key, statement_of((order.amount_vnd, f"LE PHI {order.payment_reference}")))
    before = stored_reports(stack)
    paid = container().payments.store.order(order.payment_reference)

    # when operations re-run the day
    again = container().reconciliation.reconcile_statement_object(STATEMENTS, key, rerun=True)

    # then the report is the same and still names the missed callback
    assert paid is not None and paid.status.value == "paid"
    assert stored_reports(stack) == before
    assert again.counts == {"missed_callback": 1}


def test_credit_without_a_reference_is_held_in_suspense_once_even_on_a_rerun(stack: Stack) -> None:
    # given the department's fee account, known from an order, and a statement credit that
    # names no payment reference
    from chalicelib.wiring import container

    an_order(stack)
    key = "statements/techcombank/HP/2026-12-02/tcb.sta"

    # when the statement is reconciled, then re-run
    drop(stack, key, statement_of((25_000, "CHUYEN KHOAN KHONG NOI DUNG")))
    container().reconciliation.reconcile_statement_object(STATEMENTS, key, rerun=True)

    # then operations find it once in the department's suspense list
    held, _ = container().payments.suspense("HP")
    assert [(item.amount, item.note, item.received_via) for item in held] == [
        (25_000, "CHUYEN KHOAN KHONG NOI DUNG", "statement")
    ]
    assert held[0].txn_id == "FT1"


def sent_mail() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["ap-southeast-1"].sent_messages)


def test_department_contacts_are_mailed_the_mismatches_of_a_statement_once(stack: Stack) -> None:
    # given a live department with contacts, and a statement with a credit nobody can identify
    from chalicelib.wiring import container
    from tests.functional.lifecycle_support import live_department

    department = live_department("HAI-PHONG")
    account = department.fee_account.account_number
    body = statement_of((25_000, "CHUYEN KHOAN KHONG NOI DUNG")).replace(
        ACCOUNT.encode(), account.encode()
    )
    key = "statements/techcombank/HAI-PHONG/2026-12-02/tcb.sta"
    before = len(sent_mail())

    # when it is reconciled, then re-run
    drop(stack, key, body)
    container().reconciliation.reconcile_statement_object(STATEMENTS, key, rerun=True)

    # then the contacts got one summary naming the mismatch
    [mail] = sent_mail()[before:]
    assert sorted(mail.destinations["ToAddresses"]) == sorted(c.email for c in department.contacts)
    assert "unidentified=1" in mail.body
    assert "(no reference) statement 25000" in mail.body


def test_operations_and_auditors_list_a_departments_open_alerts(stack: Stack) -> None:
    # given a statement with an unidentified credit, reconciled for HP
    register_department(stack, "HP", ACCOUNT)
    drop(
        stack,
        "statements/techcombank/HP/2026-12-02/tcb.sta",
        statement_of((25_000, "CHUYEN KHOAN KHONG NOI DUNG")),
    )

    # when
    answers = [
        stack.http.get("/operations/reconciliation/HP/alerts", headers=stack.auth(role))
        for role in ("operations", "auditor")
    ]

    # then
    for answer in answers:
        assert answer.status_code == 200, answer.body
        [alert] = json_body(answer)["alerts"]
        assert (alert["kind"], alert["detail"]) == ("reconciliation_mismatch", "unidentified=1")


def test_alerts_of_a_malformed_department_code_are_refused(stack: Stack) -> None:
    answer = stack.http.get(
        "/operations/reconciliation/h%20p/alerts", headers=stack.auth("operations")
    )

    assert answer.status_code == 422


def test_operations_list_the_parked_files_and_the_messages_stay_parked(stack: Stack) -> None:
    from typer.testing import CliRunner

    from tools.ops import cli

    drop(stack, "statements/techcombank/XX/2026-12-02/a.sta", statement_file())
    drop(stack, "statements/techcombank/YY/2026-12-02/b.sta", statement_file())
    queue = DEAD_LETTERS.removesuffix("-dlq")

    listed = CliRunner().invoke(
        cli, ["--table", "unused", "--actor", "ops", "dead-letters", "--queue", queue]
    )

    assert listed.exit_code == 0, listed.output
    assert "statements/techcombank/XX/2026-12-02/a.sta" in listed.output
    assert "statements/techcombank/YY/2026-12-02/b.sta" in listed.output
    assert "2 statement file(s) parked" in listed.output
    assert len(dead_letters(stack)) == 2
