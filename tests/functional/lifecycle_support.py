"""Driving whole dossier lifecycles on the local stack: departments, the bank, the staff."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

from chalicelib.adapters.department_store import profile_item
from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from chalicelib.domain.departments import DepartmentState
from chalicelib.domain.dossiers import Status
from chalicelib.domain.registry import registry_unit
from chalicelib.wiring import container
from tests.stack import Stack, json_body
from tests.unit.department_examples import full_details
from tools.local_stack import stage_environment
from tools.test_ca import seed_local_signing_secret

BANK = "techcombank"
LEADER = "Nguyễn Văn An"


def live_department(code: str, state: str = "live", forms: tuple[str, ...] = ()) -> Any:
    """A department with every detail the lifecycle needs: account, receipts, leader, calendar."""
    details = full_details()
    department = registry_unit(code).as_department().with_details(details).model_copy(
        update={"state": DepartmentState(state),
                "allowed_forms": forms or ("B", "D", "E", "VJ", "AK", "EUR.1"),
                "fee_collection_from": date(2026, 1, 1), "e_receipts_from": date(2026, 1, 1)}
    )  # fmt: skip
    container().table.put_item(Item=profile_item(department))
    seed_local_signing_secret("local")
    return department


def bank_secret() -> str:
    name = stage_environment("local")["BANK_SECRET_PREFIX"] + BANK
    value = container().secretsmanager.get_secret_value(SecretId=name)["SecretString"]
    return str(json.loads(value)["current"])


def pay(
    stack: Stack,
    dossier_id: str,
    txn_id: str,
    amount: int | None = None,
    note_format: str = "CO phi {ref} thanh toan",
) -> Any:
    """Post the bank's signed callback for the dossier's payment order."""
    order = json_body(stack.http.get(f"/dossiers/{dossier_id}/payment",
                                     headers=stack.auth("operations")))  # fmt: skip
    body = json.dumps({
        "txn_id": txn_id, "kind": "credit", "account": order["transfer"]["account_number"],
        "amount": order["amount_vnd"] if amount is None else amount, "currency": "VND",
        "note": note_format.format(ref=order["payment_reference"]),
        "booked_at": stack.clock.now.isoformat(),
    }).encode()  # fmt: skip
    timestamp = str(int(stack.clock.now.timestamp()))
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: sign(bank_secret(), timestamp, body)}  # fmt: skip
    return stack.http.post(f"/bank/{BANK}/callbacks", headers=headers, body=body)


def wait_for_status(dossier_id: str, *statuses: Status, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        dossier = container().dossier_store.get_dossier(dossier_id)
        if dossier is not None and dossier.status in statuses:
            return dossier
        if time.monotonic() > deadline:
            found = dossier.status if dossier else None
            raise AssertionError(f"dossier {dossier_id} is {found}, not {statuses}: "
                                 f"{execution_failures(dossier_id)}")  # fmt: skip
        time.sleep(0.05)


def wait_for_token(dossier_id: str, step: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        token = container().task_tokens.token_for(dossier_id, step)
        if token:
            return token
        if time.monotonic() > deadline:
            raise AssertionError(f"dossier {dossier_id} never waited for {step}: "
                                 f"{execution_failures(dossier_id)}")  # fmt: skip
        time.sleep(0.05)


class Staff:
    def __init__(self, stack: Stack, department: str) -> None:
        self.stack = stack
        self.specialist = stack.auth("specialist", department=department, subject="spec-1",
                                     name="Trần Thị Bình")  # fmt: skip
        self.leader = stack.auth("leader", department=department, subject="lead-1", name=LEADER)

    def claim(self, dossier_id: str) -> Any:
        wait_for_token(dossier_id, "review")
        return self.stack.http.post(f"/review/dossiers/{dossier_id}/claim",
                                    headers=self.specialist)  # fmt: skip

    def decide(self, dossier_id: str, decision: str, **extra: Any) -> Any:
        body = json.dumps({"decision": decision, **extra})
        return self.stack.http.post(f"/review/dossiers/{dossier_id}/decision",
                                    headers=self.specialist, body=body)  # fmt: skip

    def approve_signing(self, dossier_id: str) -> Any:
        wait_for_token(dossier_id, "signature")
        return self.stack.http.post(f"/signing/dossiers/{dossier_id}/approval",
                                    headers=self.leader)  # fmt: skip


def execution_failures(dossier_id: str) -> list[str]:
    """The failed tasks of the dossier's executions, to explain a test that waited in vain."""
    sfn = container().stepfunctions
    arn = container().settings.DOSSIER_STATE_MACHINE_ARN
    failures = []
    for execution in sfn.list_executions(stateMachineArn=arn)["executions"]:
        if not execution["name"].startswith(dossier_id):
            continue
        events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        state = ""
        for event in events:
            if event["type"].endswith("StateEntered"):
                state = event["stateEnteredEventDetails"]["name"]
            if event["type"] == "ParallelStateExited":
                failures.append(
                    "parallel output " + event["stateExitedEventDetails"]["output"][:300]
                )
            if event["type"] == "TaskFailed":
                details = event["taskFailedEventDetails"]
                failures.append(f"{state} {details.get('error')}: {details.get('cause', '')[:300]}")
        started = events[0].get("executionStartedEventDetails", {}).get("input", "")
        failures.append(f"{execution['name']} {execution['status']}, last entered {state}, "
                        f"input {started[:200]}")  # fmt: skip
    return failures
