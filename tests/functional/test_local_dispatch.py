"""Guards the in-process Lambda dispatch that the local stack relies on (moto internals)."""

import json

from tests.stack import Stack


def _start(stack: Stack, name: str, payload: dict) -> str:
    sfn = stack.client("stepfunctions")
    return sfn.start_execution(
        stateMachineArn=stack.state_machine_arn, name=name, input=json.dumps(payload)
    )["executionArn"]


def test_a_task_reaches_our_function_and_its_error_type_reaches_the_catch(stack: Stack) -> None:
    execution = _start(
        stack,
        "dispatch-probe-1",
        {"dossier_id": "no-such-dossier", "attempt": 1, "resume_at": "allocate"},
    )

    stack.wait_for_execution(execution)

    events = stack.history(execution)
    failures = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")
    ]
    assert failures[0]["error"] == "NotFoundError"
    assert "no-such-dossier" in failures[0]["cause"]
    assert entered[:3] == ["Route", "AllocateReference", "AllocateFailed"]


def test_sqs_messages_reach_the_statement_function(stack: Stack) -> None:
    names = stack.dispatcher.function_names()

    assert {"hold_for_decision", "allocate_reference", "sign_certificate"} <= set(names)


def test_each_task_is_handed_its_execution_id_for_the_logs(stack: Stack) -> None:
    execution = _start(
        stack,
        "dispatch-probe-2",
        {"dossier_id": "no-such-dossier", "attempt": 1, "resume_at": "allocate"},
    )

    stack.wait_for_execution(execution)

    scheduled = [
        json.loads(e["taskScheduledEventDetails"]["parameters"])
        for e in stack.history(execution)
        if e["type"] == "TaskScheduled"
    ]
    assert scheduled, "no task was scheduled"
    assert {task["Payload"]["execution"] for task in scheduled} == {execution}


def test_a_schedule_runs_on_demand_from_a_plain_payload(stack: Stack) -> None:
    arrived = stack.dispatcher.run_on_demand("check_statements_arrived", {})
    remitted = stack.dispatcher.run_on_demand(
        "monthly_remittance", {"month": "2026-11", "departments": []}
    )

    assert set(arrived) == {"day", "missing"}
    assert remitted == {"month": "2026-11", "statements": []}
