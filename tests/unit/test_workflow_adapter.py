"""The Step Functions adapter against a real botocore client, its answers stubbed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters.workflow import StepFunctionsWorkflow
from chalicelib.domain.errors import TransientError

ARN = "arn:aws:states:ap-southeast-1:123456789012:stateMachine:coissuer-local-dossier"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stubbed() -> Iterator[tuple[StepFunctionsWorkflow, Stubber]]:
    client = boto3.client(
        "stepfunctions",
        region_name="ap-southeast-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield StepFunctionsWorkflow(client, ARN, 60), stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken"])
def test_a_token_already_settled_is_reported_not_raised(
    stubbed: tuple[StepFunctionsWorkflow, Stubber], code: str
) -> None:
    workflow, stubber = stubbed
    stubber.add_client_error("send_task_success", service_error_code=code, http_status_code=400)

    completed = workflow.complete_step("token-used-before", {"decision": "approve"})

    assert completed is False


def test_a_step_completed_in_time_is_reported(
    stubbed: tuple[StepFunctionsWorkflow, Stubber],
) -> None:
    workflow, stubber = stubbed
    stubber.add_response(
        "send_task_success",
        {},
        {"taskToken": "fresh", "output": json.dumps({"decision": "approve"})},
    )

    assert workflow.complete_step("fresh", {"decision": "approve"}) is True


def test_throttling_is_a_transient_error_the_state_machine_retries(
    stubbed: tuple[StepFunctionsWorkflow, Stubber],
) -> None:
    workflow, stubber = stubbed
    stubber.add_client_error(
        "send_task_success", service_error_code="ThrottlingException", http_status_code=400
    )

    with pytest.raises(TransientError):
        workflow.complete_step("token", {})


def test_importing_the_app_does_not_load_the_pdf_signer() -> None:
    # pyHanko is heavy: it loads only in the functions that sign, never on every cold start.
    script = "import sys, app; print(sorted(m for m in sys.modules if m.startswith('pyhanko')))"

    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert loaded.stdout.strip() == "[]", loaded.stderr[-2000:]
