"""Statement files dropped into the statements bucket, reconciled on moto's DynamoDB and S3."""

from __future__ import annotations

import csv
import io
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.operations_alerts import TableAlerts
from chalicelib.adapters.payment_ledger import (
    DynamoPaymentLedger,
    payments_partition,
    payments_sort_key,
)
from chalicelib.adapters.reconciliation_report import S3ReportStore
from chalicelib.adapters.statement_bucket import S3StatementFiles
from chalicelib.adapters.statement_formats.bank_csv import CsvProfile, profile_for_bank
from chalicelib.adapters.statement_ledger import DynamoStatementLedger
from chalicelib.domain.errors import NotFoundError, ValidationFailedError
from chalicelib.domain.payment_reference import check_character
from chalicelib.domain.reconciliation import MissedPayment
from chalicelib.services.reconciliation import ReconciliationService
from tests.sample_files import external_sample
from tests.unit.test_bank_csv_and_checks import windows_1258
from tools.bank_statement_writer import BankLine, write_mt940

REGION = "ap-southeast-1"
# Own names, removed afterwards: other test files may share the same moto backends.
RUN = uuid.uuid4().hex[:8]
STATEMENTS = f"coissuer-recon-{RUN}-statements"
DOCUMENTS = f"coissuer-recon-{RUN}-documents"
DAY = date(2025, 10, 2)
ACCOUNT = "19030000000001"


def reference(body: str) -> str:
    return "CO" + body + check_character(body)


REF_PAID, REF_LOST, REF_UNBOOKED = (
    reference("7K3M9Q2X"),
    reference("AB12CD34"),
    reference("ZZ99YY88"),
)


class Directory:
    def __init__(self, accounts: dict[str, str]) -> None:
        self.accounts = accounts

    def fee_account(self, department: str) -> str | None:
        return self.accounts.get(department)

    def live_departments(self) -> list[str]:
        return list(self.accounts)

    def csv_profile(self, bank: str) -> CsvProfile | None:
        return profile_for_bank(bank)


class Recorder:
    def __init__(self) -> None:
        self.recorded: list[tuple[str, MissedPayment]] = []
        self.held: list[tuple[str, Any]] = []

    def record_missed_payment(self, department: str, missed: MissedPayment, source=None) -> None:
        self.recorded.append((department, missed))

    def hold_unidentified_credit(self, department: str, credit: Any, source: Any) -> None:
        self.held.append((department, credit))


class Metrics:
    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def add_metric(self, name: str, unit: str, value: float) -> None:
        self.values[name] = self.values.get(name, 0) + value


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        attributes = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"]
        table = dynamodb.create_table(
            TableName=f"coissuer-recon-{RUN}",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in attributes
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": f"{index}PK", "KeyType": "HASH"},
                        {"AttributeName": f"{index}SK", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in ("GSI1", "GSI2", "GSI3")
            ],
        )
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (STATEMENTS, DOCUMENTS):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        recorder, metrics = Recorder(), Metrics()
        service = ReconciliationService(
            departments=Directory({"HP": ACCOUNT, "LS": "19030000000002"}),
            payments=DynamoPaymentLedger(table),
            statements=DynamoStatementLedger(table),
            reports=S3ReportStore(s3, DOCUMENTS),
            files=S3StatementFiles(s3),
            recorder=recorder,
            alerts=TableAlerts(table, clock=lambda: datetime(2025, 10, 3, 2, tzinfo=UTC)),
            metrics=metrics,
            clock=lambda: datetime(2025, 10, 3, 1, tzinfo=UTC),
        )
        yield {
            "table": table,
            "s3": s3,
            "service": service,
            "recorder": recorder,
            "metrics": metrics,
        }
        table.delete()
        for bucket in (STATEMENTS, DOCUMENTS):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=item["Key"])
            s3.delete_bucket(Bucket=bucket)


def record_payment(
    table: Any,
    department: str,
    ref: str,
    credited_at: datetime,
    amount: int = 60000,
    outcome: str = "paid",
    txn_id: str | None = None,
    **fields: Any,
) -> None:
    """A credited bank transaction as the payment service stores it."""
    vietnam_day = (credited_at + timedelta(hours=7)).date()
    txn_id = txn_id or f"TXN-{ref}"
    table.put_item(
        Item={
            "PK": f"BANKTXN#TCB#{txn_id}",
            "SK": "BANKTXN",
            "GSI3PK": payments_partition(department),
            "GSI3SK": payments_sort_key(vietnam_day, "TCB", txn_id),
            "payment_reference": ref,
            "amount": Decimal(amount),
            "txn_id": txn_id,
            "dossier_id": f"D-{ref}",
            "booked_at": credited_at.isoformat(),
            "outcome": outcome,
            **fields,
        }
    )


def drop(s3: Any, key: str, body: bytes) -> str:
    s3.put_object(Bucket=STATEMENTS, Key=key, Body=body)
    return key


def day_statement(
    day: date = DAY, sequence: int = 41, lines: list[BankLine] | None = None
) -> bytes:
    text = io.StringIO()
    write_mt940(
        text,
        account=f"970407/{ACCOUNT}",
        statement_id=f"TCB{day:%Y%m%d}",
        sequence=sequence,
        day=day,
        opening=1_000_000,
        lines=lines
        if lines is not None
        else [
            BankLine(60000, f"THANH TOAN LE PHI {REF_PAID}"),
            BankLine(60000, f"le phi c/o {REF_LOST.lower()}"),
            BankLine(25000, "CHUYEN KHOAN KHONG NOI DUNG"),
        ],
    )
    return text.getvalue().encode()


def recorded_once(recorder: Recorder) -> bool:
    """Both unrecorded credits of `day_statement` were recorded, each exactly once."""
    references = [missed.payment_reference for _, missed in recorder.recorded]
    return sorted(references) == sorted([REF_PAID, REF_LOST])


def report_rows(s3: Any, key: str) -> list[dict[str, str]]:
    body = s3.get_object(Bucket=DOCUMENTS, Key=key)["Body"].read().decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_statement_is_reconciled_into_json_and_csv_reports_and_a_summary(aws: dict) -> None:
    record_payment(aws["table"], "HP", REF_PAID, datetime(2025, 10, 2, 3, tzinfo=UTC))
    record_payment(aws["table"], "HP", REF_UNBOOKED, datetime(2025, 10, 2, 4, tzinfo=UTC))
    key = drop(aws["s3"], "statements/tcb/HP/2025-10-02/stmt.sta", day_statement())

    outcome = aws["service"].reconcile_statement_object(STATEMENTS, key)

    assert outcome.status == "reconciled"
    rows = report_rows(aws["s3"], outcome.report_keys[1])
    assert [(row["payment_reference"], row["outcome"]) for row in rows] == [
        (REF_PAID, "matched"),
        (REF_LOST, "missed_callback"),
        ("", "unidentified"),
        (REF_UNBOOKED, "not_in_statement_pending"),
    ]
    document = json.loads(
        aws["s3"].get_object(Bucket=DOCUMENTS, Key=outcome.report_keys[0])["Body"].read()
    )
    assert document["counts"]["matched"] == 1
    assert document["statements"][0]["problems"] == []
    summary = aws["table"].get_item(
        Key={"PK": f"STMT#HP#2025-10-02#{outcome.file_hash}", "SK": "SUMMARY"}
    )["Item"]
    assert summary["status"] == "reconciled"
    assert aws["metrics"].values["Reconciliation_matched"] == 1


def test_missed_callback_is_recorded_so_the_dossier_moves_on(aws: dict) -> None:
    key = drop(aws["s3"], "statements/tcb/HP/2025-10-02/stmt.sta", day_statement())

    aws["service"].reconcile_statement_object(STATEMENTS, key)

    [(department, missed)] = [
        item for item in aws["recorder"].recorded if item[1].payment_reference == REF_LOST
    ]
    assert department == "HP"
    assert missed.amount == Decimal(60000)


def test_same_file_dropped_twice_is_reconciled_once(aws: dict) -> None:
    body = day_statement()
    first = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", body)
    second = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a-copy.sta", body)

    outcomes = [aws["service"].reconcile_statement_object(STATEMENTS, k) for k in (first, second)]

    assert [outcome.status for outcome in outcomes] == ["reconciled", "duplicate"]
    assert recorded_once(aws["recorder"])


def test_concurrent_double_delivery_reconciles_once(aws: dict) -> None:
    key = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", day_statement())
    statuses: list[str] = []

    def deliver() -> None:
        statuses.append(aws["service"].reconcile_statement_object(STATEMENTS, key).status)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == ["duplicate", "reconciled"]
    assert recorded_once(aws["recorder"])


def test_same_statement_id_in_a_different_file_is_not_reconciled_again(aws: dict) -> None:
    first = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", day_statement())
    again = drop(aws["s3"], "statements/tcb/HP/2025-10-02/b.sta", day_statement() + b"\n")

    aws["service"].reconcile_statement_object(STATEMENTS, first)
    outcome = aws["service"].reconcile_statement_object(STATEMENTS, again)

    assert outcome.status == "flagged"
    assert "duplicate_statement" in outcome.problems
    assert recorded_once(aws["recorder"])


def unbalanced(body: bytes) -> bytes:
    """The same statement with a closing balance that its entries do not reach."""
    head, closing = body.rsplit(b":62F:", 1)
    return head + b":62F:" + closing.replace(b"VND", b"VND9", 1)


def test_corrected_file_takes_over_the_statement_id_of_a_flagged_one(aws: dict) -> None:
    # given a statement flagged as unbalanced, then the bank's corrected file of the same id
    flagged = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", unbalanced(day_statement()))
    corrected = drop(aws["s3"], "statements/tcb/HP/2025-10-02/b.sta", day_statement())
    first = aws["service"].reconcile_statement_object(STATEMENTS, flagged)

    # when
    outcome = aws["service"].reconcile_statement_object(STATEMENTS, corrected)

    # then
    assert (first.status, first.problems) == ("flagged", ["unbalanced"])
    assert (outcome.status, outcome.problems) == ("reconciled", [])
    assert recorded_once(aws["recorder"])


def test_corrected_file_takes_over_the_statement_id_of_a_file_that_failed(aws: dict) -> None:
    broken = day_statement().replace(b":62F:", b":61:NOT A LINE\n:62F:")
    failing = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", broken)
    corrected = drop(aws["s3"], "statements/tcb/HP/2025-10-02/b.sta", day_statement())
    with pytest.raises(ValidationFailedError):
        aws["service"].reconcile_statement_object(STATEMENTS, failing)

    outcome = aws["service"].reconcile_statement_object(STATEMENTS, corrected)

    assert outcome.status == "reconciled"
    assert recorded_once(aws["recorder"])


def test_flagged_file_dropped_again_is_still_seen(aws: dict) -> None:
    body = unbalanced(day_statement())
    first = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", body)
    again = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a-again.sta", body)
    aws["service"].reconcile_statement_object(STATEMENTS, first)

    outcome = aws["service"].reconcile_statement_object(STATEMENTS, again)

    assert outcome.status == "duplicate"


def test_flagged_file_cannot_take_back_an_id_a_corrected_file_reconciled(aws: dict) -> None:
    flagged = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", unbalanced(day_statement()))
    corrected = drop(aws["s3"], "statements/tcb/HP/2025-10-02/b.sta", day_statement())
    aws["service"].reconcile_statement_object(STATEMENTS, flagged)
    aws["service"].reconcile_statement_object(STATEMENTS, corrected)

    outcome = aws["service"].reconcile_statement_object(STATEMENTS, flagged, rerun=True)

    assert "duplicate_statement" in outcome.problems
    assert recorded_once(aws["recorder"])


def test_windows_1258_csv_statement_is_reconciled_through_its_bank_profile(aws: dict) -> None:
    # given a Windows-1258 CSV export of the bank folder's profile, one credit recorded
    record_payment(aws["table"], "HP", REF_PAID, datetime(2025, 10, 2, 3, tzinfo=UTC))
    export = (
        "Số tài khoản;Ngày giao dịch;Số tiền ghi nợ;Số tiền ghi có;Số dư;Số bút toán;Nội dung\n"
        f"{ACCOUNT};02/10/2025;;60.000;1.060.000;FT1;Thanh toán lệ phí {REF_PAID}\n"
        f"{ACCOUNT};02/10/2025;;60.000;1.120.000;FT2;Lệ phí C/O {REF_LOST}\n"
        f"{ACCOUNT};02/10/2025;1.000;;1.119.000;FT3;Phí dịch vụ\n"
    )
    key = drop(aws["s3"], "statements/agribank/HP/2025-10-02/sao-ke.csv", windows_1258(export))

    # when
    outcome = aws["service"].reconcile_statement_object(STATEMENTS, key)

    # then
    assert (outcome.status, outcome.problems) == ("reconciled", [])
    rows = report_rows(aws["s3"], outcome.report_keys[1])
    assert [(row["payment_reference"], row["outcome"]) for row in rows] == [
        (REF_PAID, "matched"),
        (REF_LOST, "missed_callback"),
        ("", "other_debit"),
    ]
    document = json.loads(
        aws["s3"].get_object(Bucket=DOCUMENTS, Key=outcome.report_keys[0])["Body"].read()
    )
    [statement] = document["statements"]
    assert (statement["opening_balance"], statement["closing_balance"]) == ("1000000", "1119000")
    assert [missed.payment_reference for _, missed in aws["recorder"].recorded] == [REF_LOST]


def test_statement_for_an_unknown_department_fails_for_the_dead_letter_queue(aws: dict) -> None:
    key = drop(aws["s3"], "statements/tcb/XX/2025-10-02/a.sta", day_statement())

    with pytest.raises(NotFoundError, match="unknown department 'XX'"):
        aws["service"].reconcile_statement_object(STATEMENTS, key)


def test_unreadable_file_fails_every_delivery_so_it_reaches_the_dead_letter_queue(
    aws: dict,
) -> None:
    broken = b":20:X\n:25:970407/19030000000001\n:60F:C251002VND0,\n:61:NOT A LINE\n-\n"
    key = drop(aws["s3"], "statements/tcb/HP/2025-10-02/broken.sta", broken)

    for _ in range(2):
        with pytest.raises(ValidationFailedError, match=":61:"):
            aws["service"].reconcile_statement_object(STATEMENTS, key)


def test_key_outside_the_statement_layout_is_refused(aws: dict) -> None:
    key = drop(aws["s3"], "statements/tcb/HP/a.sta", day_statement())

    with pytest.raises(ValidationFailedError):
        aws["service"].reconcile_statement_object(STATEMENTS, key)


def test_incomplete_sample_camt_is_flagged_and_repairs_nothing(aws: dict) -> None:
    body = external_sample("camt053_v02_batch_txsummary.xml").read_bytes()
    key = drop(aws["s3"], "statements/ing/HP/2025-10-02/camt.xml", body)

    outcome = aws["service"].reconcile_statement_object(STATEMENTS, key)

    assert outcome.status == "flagged"
    assert {"incomplete", "unbalanced", "wrong_account"} <= set(outcome.problems)
    alerts = aws["table"].query(
        KeyConditionExpression=boto3.dynamodb.conditions.Key("PK").eq("ALERTS#HP")
    )["Items"]
    assert any(alert["kind"] == "statement_flagged" for alert in alerts)


def test_rerun_after_no_change_rewrites_a_byte_identical_report(aws: dict) -> None:
    record_payment(aws["table"], "HP", REF_UNBOOKED, datetime(2025, 10, 2, 4, tzinfo=UTC))
    key = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", day_statement())
    first = aws["service"].reconcile_statement_object(STATEMENTS, key)
    before = [
        aws["s3"].get_object(Bucket=DOCUMENTS, Key=k)["Body"].read() for k in first.report_keys
    ]

    again = aws["service"].reconcile_statement_object(STATEMENTS, key, rerun=True)
    after = [
        aws["s3"].get_object(Bucket=DOCUMENTS, Key=k)["Body"].read() for k in again.report_keys
    ]

    assert before == after


def test_missed_callback_then_late_booking_of_a_pending_payment_next_day(aws: dict) -> None:
    record_payment(aws["table"], "HP", REF_UNBOOKED, datetime(2025, 10, 2, 4, tzinfo=UTC))
    today = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", day_statement())
    tomorrow_body = day_statement(DAY + timedelta(days=1), 42, [BankLine(60000, REF_UNBOOKED)])
    tomorrow = drop(aws["s3"], "statements/tcb/HP/2025-10-03/a.sta", tomorrow_body)

    aws["service"].reconcile_statement_object(STATEMENTS, today)
    outcome = aws["service"].reconcile_statement_object(STATEMENTS, tomorrow)

    rows = report_rows(aws["s3"], outcome.report_keys[1])
    assert [(row["payment_reference"], row["outcome"]) for row in rows] == [
        (REF_UNBOOKED, "matched")
    ]
    assert "recorded on 2025-10-02" in rows[0]["detail"]


def test_sequence_gap_between_days_is_reported(aws: dict) -> None:
    today = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", day_statement(sequence=41))
    later = drop(
        aws["s3"],
        "statements/tcb/HP/2025-10-03/a.sta",
        day_statement(DAY + timedelta(days=1), 43, []),
    )

    aws["service"].reconcile_statement_object(STATEMENTS, today)
    outcome = aws["service"].reconcile_statement_object(STATEMENTS, later)

    assert outcome.problems == ["sequence_gap"]
    assert outcome.status == "reconciled"


def test_sequence_gap_across_a_day_without_a_file_is_reported(aws: dict) -> None:
    # given statement 41 on Thursday, no file on Friday, statement 43 on Saturday
    thursday = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", day_statement(sequence=41))
    saturday_body = day_statement(DAY + timedelta(days=2), 43, [])
    saturday = drop(aws["s3"], "statements/tcb/HP/2025-10-04/a.sta", saturday_body)
    aws["service"].reconcile_statement_object(STATEMENTS, thursday)

    # when
    outcome = aws["service"].reconcile_statement_object(STATEMENTS, saturday)

    # then
    assert outcome.problems == ["sequence_gap"]


def test_weekend_without_files_and_consecutive_numbers_has_no_gap(aws: dict) -> None:
    friday = date(2025, 10, 3)
    monday = date(2025, 10, 6)
    first = drop(aws["s3"], "statements/tcb/HP/2025-10-03/a.sta", day_statement(friday, 41, []))
    second = drop(aws["s3"], "statements/tcb/HP/2025-10-06/a.sta", day_statement(monday, 42, []))
    aws["service"].reconcile_statement_object(STATEMENTS, first)

    outcome = aws["service"].reconcile_statement_object(STATEMENTS, second)

    assert (outcome.status, outcome.problems) == ("reconciled", [])


def test_rerun_of_an_earlier_day_compares_with_the_sequence_seen_before_it(aws: dict) -> None:
    first = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", day_statement(sequence=41))
    later_body = day_statement(DAY + timedelta(days=1), 42, [])
    later = drop(aws["s3"], "statements/tcb/HP/2025-10-03/a.sta", later_body)
    aws["service"].reconcile_statement_object(STATEMENTS, first)
    aws["service"].reconcile_statement_object(STATEMENTS, later)

    again = aws["service"].reconcile_statement_object(STATEMENTS, first, rerun=True)

    assert again.problems == []


def test_missing_statements_of_live_departments_are_alerted(aws: dict) -> None:
    key = drop(aws["s3"], "statements/tcb/HP/2025-10-02/a.sta", day_statement())
    aws["service"].reconcile_statement_object(STATEMENTS, key)

    missing = aws["service"].check_statements_arrived(DAY)

    assert missing == ["LS"]
    alerts = aws["table"].query(
        KeyConditionExpression=boto3.dynamodb.conditions.Key("PK").eq("ALERTS#LS")
    )["Items"]
    assert [alert["kind"] for alert in alerts] == ["statement_missing"]


def test_monthly_remittance_sums_last_months_fees_due_by_the_fifth(aws: dict) -> None:
    record_payment(aws["table"], "HP", REF_PAID, datetime(2025, 9, 1, 3, tzinfo=UTC))
    record_payment(aws["table"], "HP", REF_LOST, datetime(2025, 9, 30, 17, 30, tzinfo=UTC))
    record_payment(aws["table"], "HP", REF_UNBOOKED, datetime(2025, 9, 30, 3, tzinfo=UTC))

    statement = aws["service"].monthly_remittance("HP", "2025-09")

    assert (statement["payments"], statement["total_vnd"]) == (2, 120000)
    assert statement["due_by"] == "2025-10-05"
    stored = json.loads(
        aws["s3"].get_object(Bucket=DOCUMENTS, Key=statement["report_key"])["Body"].read()
    )
    assert stored["total_vnd"] == 120000


def test_statement_of_another_day_than_its_folder_is_flagged(aws: dict) -> None:
    key = drop(aws["s3"], "statements/tcb/HP/2025-10-03/a.sta", day_statement(DAY))

    outcome = aws["service"].reconcile_statement_object(STATEMENTS, key)

    assert (outcome.status, outcome.problems) == ("flagged", ["wrong_day"])
    assert aws["recorder"].recorded == []


def test_monthly_remittance_is_what_was_collected_less_reversals_and_refunds_due(
    aws: dict,
) -> None:
    # given a paid fee, an overpayment of 20,000 awaiting refund, a partial transfer, and a
    # reversal of the paid fee booked later in the month
    table, at = aws["table"], datetime(2025, 9, 10, 3, tzinfo=UTC)
    record_payment(table, "HP", REF_PAID, at)
    record_payment(table, "HP", REF_LOST, at, 80000, "overpaid", refund_due_vnd=20000)
    record_payment(table, "HP", REF_UNBOOKED, at, 30000, "partial", remainder_vnd=30000)
    record_payment(
        table,
        "HP",
        REF_PAID,
        at + timedelta(days=5),
        outcome="reversal_flagged",
        txn_id="TXN-REVERSAL",
        kind="reversal",
        original_txn_id=f"TXN-{REF_PAID}",
    )

    # when
    statement = aws["service"].monthly_remittance("HP", "2025-09")

    # then
    assert statement["collected_vnd"] == 170000
    assert statement["refund_due_vnd"] == 20000
    assert statement["reversed_vnd"] == 60000
    assert statement["total_vnd"] == 170000 - 20000 - 60000
    assert statement["payments"] == 3


def test_a_days_files_are_listed_in_the_order_they_were_reconciled(aws: dict) -> None:
    from chalicelib.services.reconciliation import day_report_keys

    ledger = DynamoStatementLedger(aws["table"])
    for file_hash, finished_at in (("ffff", "2025-10-03T01:00:00+00:00"),
                                   ("0000", "2025-10-03T02:00:00+00:00")):  # fmt: skip
        ledger.finish("HP", DAY, file_hash, {
            "status": "reconciled", "report_keys": [f"reports/{file_hash}.json"],
            "finished_at": finished_at,
        })  # fmt: skip

    listed = aws["service"].statement_files("HP", DAY)

    assert [item["file_hash"] for item in listed] == ["ffff", "0000"]
    assert day_report_keys(listed, None) == {"json": "reports/0000.json"}
