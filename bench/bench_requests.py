"""AWS requests per C/O, counted over one full lifecycle in process on moto.

Run: .venv/bin/python -m bench.bench_requests

One Form D sample dossier goes from draft to issued through the HTTP API and the real state
machine (the department and the signing secret are set up first and not counted): draft,
four documents, submission, the bank's callback, claim and approval, the leader's approval,
issue; then the exporter fetches the receipt links. Every AWS call the app makes is counted
by wrapping botocore's API call (every client and thread: API routes, the state machine's
tasks, the exporter's uploads); state transitions and Lambda invocations by the state machine
are counted from the execution history. moto's state machine invokes the task functions
through the Lambda API, so those invocations appear under `lambda`; the harness's own polling
is not counted. The bytes the app logs meanwhile (Powertools JSON lines and EMF metrics, at
the deployed INFO level) are counted too.

Then the day's statement is reconciled twice, as files of 1 and of 20 lines paying recorded
orders, to separate the per-file from the per-line cost of reconciliation.

docs/cost.md quotes these counts; tests/functional/test_cost_counts.py checks it does.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

BANK = "techcombank"
DEPARTMENT = "DAK-LAK"  # where the coffee sample (Form D) is submitted
RECONCILED_SIZES = (1, 20)
SAMPLE_TRADER = "6002837411"  # the coffee sample's exporter


@dataclass
class AwsCalls:
    """AWS API calls by (service, operation), from every client and thread but the paused."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    paused_thread: int | None = None

    def count(self, service: str, operation: str) -> None:
        if threading.get_ident() != self.paused_thread:
            self.calls[(service, operation)] += 1

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The harness's own calls (polling, setting up) in this thread are not the app's."""
        self.paused_thread = threading.get_ident()
        try:
            yield
        finally:
            self.paused_thread = None

    def by_service(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for (service, _), number in self.calls.items():
            totals[service] += number
        return totals

    def operations(self, service: str) -> dict[str, int]:
        return {name: n for (svc, name), n in sorted(self.calls.items()) if svc == service}


@contextmanager
def counted_aws_calls() -> Iterator[AwsCalls]:
    import botocore.client

    counted = AwsCalls()
    original = botocore.client.BaseClient._make_api_call

    def counting(client: Any, operation: str, params: Any) -> Any:
        counted.count(client.meta.service_model.service_name, operation)
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


class _CountingStream(io.TextIOBase):
    """Counts the UTF-8 bytes and lines written to it, from any thread; keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0
        self.lines = 0
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self.bytes += len(text.encode())
            self.lines += text.count("\n")
        return len(text)


@dataclass
class LogVolume:
    bytes: int = 0
    lines: int = 0


@contextmanager
def captured_logs(level: str = "INFO") -> Iterator[LogVolume]:
    """What Lambda would ship to CloudWatch Logs from the app: every Powertools logger's JSON
    lines at `level` (the stage's POWERTOOLS_LOG_LEVEL) and the EMF metrics printed to stdout.
    """
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    stream = _CountingStream()
    handlers: list[tuple[logging.StreamHandler[Any], Any]] = []
    levels: list[tuple[logging.Logger, int]] = []
    for candidate in list(logging.Logger.manager.loggerDict.values()):
        if not isinstance(candidate, logging.Logger):
            continue
        powertools = [
            handler
            for handler in candidate.handlers
            if isinstance(handler, logging.StreamHandler)
            and isinstance(handler.formatter, LambdaPowertoolsFormatter)
        ]
        if powertools:
            levels.append((candidate, candidate.level))
            candidate.setLevel(level)
        for handler in powertools:
            handlers.append((handler, handler.setStream(stream)))
    volume = LogVolume()
    stdout, sys.stdout = sys.stdout, stream  # EMF metrics are printed
    try:
        yield volume
    finally:
        sys.stdout = stdout
        for handler, previous in handlers:
            handler.setStream(previous)
        for logger, previous_level in levels:
            logger.setLevel(previous_level)
        volume.bytes, volume.lines = stream.bytes, stream.lines


@dataclass
class LifecycleCount:
    aws: AwsCalls
    logs: LogVolume
    api_calls: int
    transitions: int
    tasks: int
    dossier_id: str


def count_lifecycle(stack: Any) -> LifecycleCount:
    """One sample dossier from draft to issued, its AWS calls and log bytes counted."""
    from chalicelib.domain.dossiers import Status
    from tests.functional.exporter_api import ready_draft
    from tests.functional.lifecycle_support import (
        Staff,
        bank_secret,
        live_department,
        wait_for_status,
        wait_for_token,
    )

    live_department(DEPARTMENT)
    staff = Staff(stack, DEPARTMENT)
    secret = bank_secret()  # read by the bank's side, not the app's
    with counted_aws_calls() as aws, captured_logs() as logs:

        def waiting(*statuses: Status) -> Callable[[], Any]:
            def wait() -> Any:
                with aws.paused():
                    return wait_for_status(dossier_id, *statuses)

            return wait

        def token(step: str) -> Callable[[], Any]:
            def wait() -> Any:
                with aws.paused():
                    return wait_for_token(dossier_id, step)

            return wait

        exporter, dossier_id = ready_draft(stack)  # register, draft, 4 upload forms (+ S3 PUTs)
        review, signing = f"/review/dossiers/{dossier_id}", f"/signing/dossiers/{dossier_id}"
        http, specialist = stack.http, staff.specialist
        approve = json.dumps({"decision": "approve"})
        steps: list[tuple[int, Callable[[], Any]]] = [  # (API calls, step)
            (1, lambda: exporter.submit(dossier_id)),
            (0, waiting(Status.AWAITING_PAYMENT)),
            (2, lambda: pay(stack, dossier_id, "FT-COUNT-1", secret=secret)),  # order, callback
            (0, waiting(Status.PAID)),
            (0, token("review")),
            (1, lambda: http.post(f"{review}/claim", headers=specialist)),
            (1, lambda: http.post(f"{review}/decision", headers=specialist, body=approve)),
            (0, waiting(Status.AWAITING_SIGNATURE)),
            (0, token("signature")),
            (1, lambda: http.post(f"{signing}/approval", headers=staff.leader)),
            (0, waiting(Status.ISSUED)),
            (1, lambda: exporter.get(dossier_id)),
            (1, lambda: http.get(f"/dossiers/{dossier_id}/receipt", headers=exporter.headers)),
        ]
        api_calls = 1 + 1 + 4  # register, draft, upload forms
        for calls, step in steps:
            answer = step()
            api_calls += calls
            if calls and answer.status_code >= 400:
                raise RuntimeError(f"lifecycle step answered {answer.status_code}: {answer.body}")
        with aws.paused():
            # The workflow's last task (notifying the exporter) may still be running.
            wait_for_execution_end(stack, dossier_id)
            transitions, tasks = execution_counts(stack, dossier_id)
    return LifecycleCount(aws, logs, api_calls, transitions, tasks, dossier_id)


@dataclass
class ReconciliationCount:
    lines: int
    aws: AwsCalls
    logs: LogVolume
    status: str


def count_reconciliation(stack: Any, lines: int, day_offset: int) -> ReconciliationCount:
    """A statement of `lines` transfers, each paying a recorded order, dropped and reconciled.

    The orders are paid by callback first (the usual case: the statement confirms them). The
    bank's PutObject is counted (S3 bills it to the bucket's owner). A file is on its own day,
    `day_offset` days after the clock's, so files of different sizes do not meet.
    """
    from chalicelib.wiring import container
    from tests.functional.lifecycle_support import bank_secret
    from tools.bank_statement_writer import BankLine, write_mt940

    deps = container()
    department = deps.departments.get(DEPARTMENT)
    assert department is not None and department.fee_account is not None
    account = department.fee_account.account_number
    stack.clock.advance(days=day_offset)
    day = stack.clock.now.date()
    references = []
    with counted_aws_calls() as setup, setup.paused():
        secret = bank_secret()
        for number in range(lines):
            dossier_id = f"RECON-{day_offset}-{number:04d}"
            order = deps.payments.create_payment_order(
                dossier_id, SAMPLE_TRADER, department, "issuance", stack.clock.now
            )
            assert order is not None
            pay(stack, dossier_id, f"FT-RECON-{day_offset}-{number}", secret=secret)
            references.append(order.payment_reference)
    statement = io.StringIO()
    write_mt940(statement, account=f"970407/{account}",
                statement_id=f"TCB{day:%Y%m%d}", sequence=day_offset, day=day, opening=0,
                lines=[BankLine(60_000, f"CO phi {reference}", bank_reference=f"FT{n:010d}")
                       for n, reference in enumerate(references)])  # fmt: skip
    with counted_aws_calls() as aws, captured_logs() as logs:
        # moto hands the notification to reconcile_statements before put_object returns.
        stack.client("s3").put_object(
            Bucket=deps.settings.STATEMENTS_BUCKET,
            Key=f"statements/{BANK}/{DEPARTMENT}/{day.isoformat()}/mt940.sta",
            Body=statement.getvalue().encode(),
        )
    files = deps.reconciliation.statement_files(DEPARTMENT, day)
    stack.clock.advance(days=-day_offset)
    return ReconciliationCount(lines, aws, logs, files[0]["status"] if files else "missing")


def pay(stack: Any, dossier_id: str, txn_id: str, secret: str) -> Any:
    """The bank's signed callback for the dossier's order (as tests.functional does)."""
    from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
    from tests.stack import json_body

    path = f"/dossiers/{dossier_id}/payment"
    order = json_body(stack.http.get(path, headers=stack.auth("operations")))
    body = json.dumps({
        "txn_id": txn_id, "kind": "credit", "account": order["transfer"]["account_number"],
        "amount": order["amount_vnd"], "currency": "VND",
        "note": f"CO phi {order['payment_reference']}", "booked_at": stack.clock.now.isoformat(),
    }).encode()  # fmt: skip
    timestamp = str(int(stack.clock.now.timestamp()))
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: sign(secret, timestamp, body)}  # fmt: skip
    return stack.http.post(f"/bank/{BANK}/callbacks", headers=headers, body=body)


def _executions(stack: Any, dossier_id: str) -> list[dict[str, Any]]:
    sfn = stack.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]
    return [item for item in executions if item["name"].startswith(dossier_id)]


def wait_for_execution_end(stack: Any, dossier_id: str) -> None:
    for execution in _executions(stack, dossier_id):
        stack.wait_for_execution(execution["executionArn"])


def execution_counts(stack: Any, dossier_id: str) -> tuple[int, int]:
    transitions = tasks = 0
    for execution in _executions(stack, dossier_id):
        for event in stack.history(execution["executionArn"]):
            transitions += event["type"].endswith("StateEntered")
            tasks += event["type"] == "TaskScheduled"
    return transitions, tasks


def print_counts(lifecycle: LifecycleCount, files: list[ReconciliationCount]) -> None:
    aws = lifecycle.aws
    print(f"API calls (API Gateway requests, Lambda invocations): {lifecycle.api_calls}")
    print(
        f"state transitions: {lifecycle.transitions}; "
        f"Lambda invocations by the state machine: {lifecycle.tasks}"
    )
    for service, number in sorted(aws.by_service().items()):
        print(f"{service}: {number} {json.dumps(aws.operations(service))}")
    print(f"logged: {lifecycle.logs.bytes} bytes in {lifecycle.logs.lines} lines")
    for file in files:
        counts = ", ".join(
            f"{service} {number} {json.dumps(file.aws.operations(service))}"
            for service, number in sorted(file.aws.by_service().items())
        )
        print(
            f"reconciling a statement of {file.lines} line(s) ({file.status}): {counts}; "
            f"logged {file.logs.bytes} bytes in {file.logs.lines} lines"
        )


def main() -> None:
    from tests.stack import prepare_environment, running_stack

    prepare_environment()
    with running_stack() as stack:
        lifecycle = count_lifecycle(stack)
        files = [
            count_reconciliation(stack, size, day_offset)
            for day_offset, size in enumerate(RECONCILED_SIZES, start=1)
        ]
    print_counts(lifecycle, files)


if __name__ == "__main__":
    main()
