"""Races that must have one winner: a review decision, reference numbers, a statement file."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.domain.dossiers import Consignee, Status
from chalicelib.domain.reference_numbers import parse_reference
from chalicelib.handlers import tasks
from chalicelib.wiring import container
from tests.security.world import (
    DEPARTMENT,
    STATEMENTS,
    put_dossier,
    register_department,
    statement_notifications_held,
)
from tests.stack import Stack, json_body

ACCOUNT = "19030000000001"


@pytest.fixture(autouse=True)
def shared_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # chalice's test client swaps os.environ around each request, which threads interleave:
    # the original mapping is put back when the test ends.
    monkeypatch.setattr(os, "environ", os.environ)


def at_once(count: int, action: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)

    def run(index: int) -> Any:
        barrier.wait()
        return action(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_two_specialists_deciding_the_same_dossier_at_once_have_one_winner(stack: Stack) -> None:
    dossier_id = put_dossier(stack, Status.UNDER_REVIEW)
    headers = [stack.auth("specialist", department=DEPARTMENT) for _ in range(2)]
    decision = b'{"decision": "approve"}'

    responses = at_once(
        2,
        lambda n: stack.http.post(
            f"/review/dossiers/{dossier_id}/decision", headers=headers[n], body=decision
        ),
    )

    assert sorted(response.status_code for response in responses) == [200, 409]
    assert container().dossier_store.get_dossier(dossier_id).status is Status.APPROVED


def test_fifty_approved_dossiers_issued_at_once_get_fifty_consecutive_numbers_one_each(
    stack: Stack,
) -> None:
    # The allocation step records the certificate and its number in one transaction. Fifty
    # steps run at once, then each again, as a retried Lambda invocation would.
    code = container().departments.seed_registry("system:test")[0]
    consignee = Consignee(name="Siam Coffee Co", address="1 Sukhumvit, Bangkok", country="TH")
    dossiers = [
        put_dossier(stack, Status.APPROVED, department_code=code, consignee=consignee)
        for _ in range(50)
    ]

    answers = at_once(50, lambda n: tasks.allocate_reference({"dossier_id": dossiers[n]}, None))
    answers += at_once(50, lambda n: tasks.allocate_reference({"dossier_id": dossiers[n]}, None))

    store = container().certificate_store
    records = {dossier: store.get_by_dossier(dossier) for dossier in dossiers}
    numbers = {dossier: record.reference_number for dossier, record in records.items()}
    assert sorted(parse_reference(ref).sequence for ref in numbers.values()) == list(range(1, 51))
    assert all(
        answer["reference_number"] == numbers[dossiers[n % 50]] for n, answer in enumerate(answers)
    ), "a repeated step answered another number"
    assert {store.get(ref).dossier_id for ref in numbers.values()} == set(dossiers)
    assert len(certificate_records(stack)) == 50


def certificate_records(stack: Stack) -> list[str]:
    table = stack.resources.refs["Table"]
    pages = stack.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [
        item["PK"]["S"]
        for page in pages
        for item in page["Items"]
        if item["PK"]["S"].startswith("CO#") and item["SK"]["S"] == "META"
    ]


def statement_file() -> bytes:
    return (
        f":20:TCB20261202\n:25:970407/{ACCOUNT}\n:28C:00007/001\n"
        ":60F:C261202VND1000000,\n"
        ":61:2612021202C60000,NTRFNONREF//FT1\n:86:THANH TOAN LE PHI COAB12CD34X\n"
        ":62F:C261202VND1060000,\n-\n"
    ).encode()


def test_the_same_statement_delivered_twice_at_once_is_reconciled_once(stack: Stack) -> None:
    register_department("HP")
    s3 = stack.client("s3")
    keys = [
        "statements/techcombank/HP/2026-12-02/a.sta",
        "statements/techcombank/HP/2026-12-02/a-again.sta",
    ]

    # The bucket's own notification is held back, so the two deliveries are the only ones.
    with statement_notifications_held(stack):
        for key in keys:
            s3.put_object(Bucket=STATEMENTS, Key=key, Body=statement_file())
        outcomes = at_once(
            2,
            lambda n: (
                container().reconciliation.reconcile_statement_object(STATEMENTS, keys[n]).status
            ),
        )

    response = stack.http.get(
        "/operations/reconciliation/HP/2026-12-02", headers=stack.auth("operations")
    )
    assert len(json_body(response)["files"]) == 1
    assert sorted(outcomes) == ["duplicate", "reconciled"]
