"""Step Functions task functions: parse the task input, call one service, return ids only.

Exception class names raised here are what the state machine's Retry and Catch match.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.errors import TransientError
from chalicelib.services import workflow
from chalicelib.telemetry import bind_invocation
from chalicelib.wiring import container


class StepInput(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    dossier_id: str
    step: str = ""


class HoldInput(StepInput):
    attempt: int = 1
    task_token: str


class OutcomeInput(StepInput):
    outcome: str
    failed_step: str = ""
    error: dict[str, Any] | None = None


Result = TypeVar("Result")


def _network_faults_are_transient(
    task: Callable[[dict[str, Any], Any], Result],
) -> Callable[[dict[str, Any], Any], Result]:
    """A timeout or dropped connection to AWS that botocore gave up on: the state machine
    retries TransientError, while a raw botocore error would end the dossier in attention."""

    @functools.wraps(task)
    def run(event: dict[str, Any], context: Any) -> Result:
        try:
            return task(event, context)
        except Exception as error:
            # botocore is imported here, once a task fails, not on every cold start.
            from botocore.exceptions import ConnectionError as NetworkError
            from botocore.exceptions import ReadTimeoutError

            if isinstance(error, NetworkError | ReadTimeoutError):
                name = type(error).__name__
                raise TransientError(f"AWS did not answer in time ({name})") from error
            raise

    return run


def _bind(event: dict[str, Any], context: Any) -> None:
    # The execution ties together every task of one dossier's run; a direct invocation (an
    # operator's, or a test's) has only its request id.
    bind_invocation(
        event.get("execution") or getattr(context, "aws_request_id", None),
        dossier_id=event.get("dossier_id"),
        step=event.get("step"),
    )


@_network_faults_are_transient
def hold_for_decision(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = HoldInput.model_validate(event)
    workflow.hold_for_decision(
        container(), task.dossier_id, task.step, task.attempt, task.task_token
    )
    return {"dossier_id": task.dossier_id}


@_network_faults_are_transient
def record_outcome(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = OutcomeInput.model_validate(event)
    workflow.record_outcome(
        container(), task.dossier_id, task.outcome, task.failed_step, task.error
    )
    return {"dossier_id": task.dossier_id, "outcome": task.outcome}


@_network_faults_are_transient
def allocate_reference(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.allocate_reference(container(), task.dossier_id)


@_network_faults_are_transient
def issue_receipt(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.issue_receipt(container(), task.dossier_id)


@_network_faults_are_transient
def render_certificate(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.render_certificate(container(), task.dossier_id)


@_network_faults_are_transient
def sign_certificate(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.sign_certificate(container(), task.dossier_id)


@_network_faults_are_transient
def publish_certificate(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.publish_certificate(container(), task.dossier_id)


@_network_faults_are_transient
def notify_exporter(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.notify_issued(container(), task.dossier_id)
