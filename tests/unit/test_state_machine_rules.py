import json
from typing import Any

from tools.checks import STATE_MACHINES, rule_violations, walk_states


def test_every_state_machine_follows_the_project_rules() -> None:
    assert STATE_MACHINES, "no state machine definitions found"
    for path in STATE_MACHINES:
        assert rule_violations(json.loads(path.read_text())) == [], path.name


def test_a_callback_task_without_timeout_is_reported() -> None:
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"Payload": {"pdf_body.$": "$.pdf"}},
                "End": True,
            }
        },
    }

    problems = rule_violations(definition)

    assert any("TimeoutSeconds" in problem for problem in problems)
    assert any("does not retry" in problem for problem in problems)
    assert any("pdf_body" in problem for problem in problems)
    assert any("execution id" in problem for problem in problems)


def _dossier_states() -> dict[str, dict[str, Any]]:
    path = next(p for p in STATE_MACHINES if p.name == "dossier.asl.json")
    return dict(walk_states(json.loads(path.read_text())["States"]))


def test_the_receipt_step_rides_out_a_provider_outage_of_a_few_minutes() -> None:
    receipt = _dossier_states()["AfterPayment[0].IssueReceipt"]

    outage = next(rule for rule in receipt["Retry"] if "TransientError" in rule["ErrorEquals"])

    delays = [
        min(outage["IntervalSeconds"] * outage["BackoffRate"] ** n, outage["MaxDelaySeconds"])
        for n in range(outage["MaxAttempts"])
    ]
    assert sum(delays) >= 5 * 60
    assert outage["JitterStrategy"] == "FULL"
    assert 6 <= outage["MaxAttempts"] <= 8


def test_a_failure_to_record_an_outcome_fails_the_execution_by_name() -> None:
    states = _dossier_states()

    for name in ("RecordExpiry", "RecordNeedsAttention", "AfterPayment[0].ReceiptNeedsAttention"):
        (catch,) = states[name]["Catch"]
        target = name.rsplit(".", 1)[0] + "." + catch["Next"] if "." in name else catch["Next"]

        assert catch["ErrorEquals"] == ["States.ALL"], name
        assert states[target]["Type"] == "Fail", name
        assert states[target]["Error"].endswith("OutcomeNotRecorded"), name


def test_a_failed_dossier_execution_raises_an_alarm() -> None:
    resources = json.loads(
        (STATE_MACHINES[0].parent.parent / "infra" / "resources.json").read_text()
    )
    resources = resources.get("Resources", resources)

    alarms = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("MetricName") == "ExecutionsFailed"
    ]

    assert [a["Dimensions"][0]["Value"] for a in alarms] == [{"Ref": "DossierStateMachine"}]
    assert alarms[0]["Namespace"] == "AWS/States"
