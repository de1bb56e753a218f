"""Assigning a held bank event to a submitted dossier, seen through the dossier's history."""

from __future__ import annotations

import json

from chalicelib.domain.dossiers import Status
from tests.functional.exporter_api import ready_draft
from tests.functional.lifecycle_support import BANK, live_department, pay, wait_for_status
from tests.stack import Stack, json_body

DEPARTMENT = "DAK-LAK"  # where the coffee sample (Form D) is submitted


def test_an_assigned_suspense_item_shows_in_the_dossiers_history(stack: Stack) -> None:
    # given a submitted dossier awaiting payment and a credit whose note names no reference
    live_department(DEPARTMENT)
    exporter, dossier_id = ready_draft(stack)
    assert exporter.submit(dossier_id).status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_PAYMENT)
    held = pay(stack, dossier_id, "FT-HELD-1", note_format="NOP PHI C/O")
    assert json_body(held)["outcome"] == "suspense"
    operations = stack.auth("operations", department=DEPARTMENT, subject="ops-7")

    # when operations assign it to the dossier
    assigned = stack.http.post(
        f"/operations/payments/suspense/{BANK}/FT-HELD-1/assignment",
        headers=operations,
        body=json.dumps({"dossier_id": dossier_id, "reason": "payer sent the bank slip"}),
    )

    # then the dossier still reads, and its history says who assigned it, when and why
    assert assigned.status_code == 200, assigned.body
    wait_for_status(dossier_id, Status.PAID)
    read = exporter.get(dossier_id)
    assert read.status_code == 200, read.body
    history = json_body(read)["history"]
    assignment = [event for event in history if "FT-HELD-1" in event["reason"]]
    assert len(assignment) == 1
    assert assignment[0]["actor"] == json_body(assigned)["assigned_by"]
    assert assignment[0]["at"] == json_body(assigned)["assigned_at"]
    assert "payer sent the bank slip" in assignment[0]["reason"]
    assert (assignment[0]["from_status"], assignment[0]["to_status"]) == (
        "awaiting_payment",
        "awaiting_payment",
    )
    assert [event["to_status"] for event in history][-2:] == ["awaiting_payment", "paid"]
