import json

from tools.checks import STATE_MACHINES, rule_violations


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
