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
is not counted.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from typing import Any

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")


def main() -> None:
    import botocore.client

    from tests.stack import prepare_environment, running_stack

    prepare_environment()
    calls: Counter[tuple[str, str]] = Counter()
    paused: list[int | None] = [None]
    original = botocore.client.BaseClient._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        # Every client of every session and thread: the state machine's tasks run in threads.
        if threading.get_ident() != paused[0]:
            calls[(client.meta.service_model.service_name, operation)] += 1
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        with running_stack() as stack:
            api_calls, transitions, tasks = one_lifecycle(stack, calls, paused)
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
    print_counts(calls, api_calls, transitions, tasks)


def one_lifecycle(
    stack: Any, calls: Counter[tuple[str, str]], paused: list[int | None]
) -> tuple[int, int, int]:
    from chalicelib.domain.dossiers import Status
    from tests.functional.exporter_api import ready_draft
    from tests.functional.lifecycle_support import (
        Staff,
        bank_secret,
        live_department,
        wait_for_status,
    )

    live_department("DAK-LAK")
    staff = Staff(stack, "DAK-LAK")
    secret = bank_secret()  # read by the bank's side, not the app's

    def waiting(*statuses: Status) -> Any:
        # The harness's own polling (in this thread) is not the app's work.
        paused[0] = threading.get_ident()
        try:
            return wait_for_status(dossier_id, *statuses)
        finally:
            paused[0] = None

    calls.clear()
    exporter, dossier_id = ready_draft(stack)  # register, draft, 4 upload forms (+ S3 PUTs)
    api = 1 + 1 + 4
    steps = [
        lambda: exporter.submit(dossier_id),
        lambda: waiting(Status.AWAITING_PAYMENT),
        lambda: pay(stack, dossier_id, "FT-COUNT-1", secret=secret),  # GET order, POST callback
        lambda: waiting(Status.PAID),
        lambda: staff.claim(dossier_id),
        lambda: staff.decide(dossier_id, "approve"),
        lambda: waiting(Status.AWAITING_SIGNATURE),
        lambda: staff.approve_signing(dossier_id),
        lambda: waiting(Status.ISSUED),
        lambda: exporter.get(dossier_id),
        lambda: stack.http.get(f"/dossiers/{dossier_id}/receipt", headers=exporter.headers),
    ]
    for step in steps:
        step()
    api += 1 + 2 + 1 + 1 + 1 + 1 + 1
    paused[0] = threading.get_ident()
    transitions, tasks = execution_counts(stack, dossier_id)
    return api, transitions, tasks


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
    return stack.http.post("/bank/techcombank/callbacks", headers=headers, body=body)


def execution_counts(stack: Any, dossier_id: str) -> tuple[int, int]:
    sfn = stack.client("stepfunctions")
    transitions = tasks = 0
    for execution in sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]:
        if not execution["name"].startswith(dossier_id):
            continue
        for event in stack.history(execution["executionArn"]):
            transitions += event["type"].endswith("StateEntered")
            tasks += event["type"] == "TaskScheduled"
    return transitions, tasks


def print_counts(
    calls: Counter[tuple[str, str]], api_calls: int, transitions: int, tasks: int
) -> None:
    by_service: Counter[str] = Counter()
    for (service, _), number in calls.items():
        by_service[service] += number
    print(f"API calls (API Gateway requests, Lambda invocations): {api_calls}")
    print(f"state transitions: {transitions}; Lambda invocations by the state machine: {tasks}")
    for service, number in sorted(by_service.items()):
        operations = {name: n for (svc, name), n in sorted(calls.items()) if svc == service}
        print(f"{service}: {number} {json.dumps(operations)}")


if __name__ == "__main__":
    main()
