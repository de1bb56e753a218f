"""Step Functions task functions: parse the task input, call one service, return ids only.

Exception class names raised here are what the state machine's Retry and Catch match.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib.services import workflow
from chalicelib.telemetry import logger
from chalicelib.wiring import container


class StepInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    dossier_id: str
    step: str = ""


class HoldInput(StepInput):
    attempt: int = 1
    task_token: str


class OutcomeInput(StepInput):
    outcome: str
    failed_step: str = ""
    error: dict[str, Any] | None = None


def _bind(event: dict[str, Any], context: Any) -> None:
    logger.set_correlation_id(getattr(context, "aws_request_id", None))
    logger.append_keys(dossier_id=event.get("dossier_id"), step=event.get("step"))


def hold_for_decision(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = HoldInput.model_validate(event)
    workflow.hold_for_decision(
        container(), task.dossier_id, task.step, task.attempt, task.task_token
    )
    return {"dossier_id": task.dossier_id}


def record_outcome(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = OutcomeInput.model_validate(event)
    workflow.record_outcome(
        container(), task.dossier_id, task.outcome, task.failed_step, task.error
    )
    return {"dossier_id": task.dossier_id, "outcome": task.outcome}


def allocate_reference(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.allocate_reference(container(), task.dossier_id)


def issue_receipt(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.issue_receipt(container(), task.dossier_id)


def render_certificate(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.render_certificate(container(), task.dossier_id)


def sign_certificate(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.sign_certificate(container(), task.dossier_id)


def publish_certificate(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.publish_certificate(container(), task.dossier_id)


def notify_exporter(event: dict[str, Any], context: Any) -> dict[str, str]:
    _bind(event, context)
    task = StepInput.model_validate(event)
    return workflow.notify_issued(container(), task.dossier_id)
