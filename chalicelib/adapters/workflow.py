"""Starts and steers dossier executions of the lifecycle state machine."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.errors import TransientError
from chalicelib.telemetry import logger

RETRYABLE = {"ThrottlingException", "ServiceUnavailable", "InternalServerError"}


class StepFunctionsWorkflow:
    def __init__(self, client: Any, state_machine_arn: str, payment_timeout_seconds: int) -> None:
        self._client = client
        self._arn = state_machine_arn
        self._payment_timeout = payment_timeout_seconds

    @staticmethod
    def execution_name(dossier_id: str, attempt: int) -> str:
        return f"{dossier_id}-{attempt}"

    def start(
        self,
        dossier_id: str,
        attempt: int,
        payment_required: bool = True,
        resume_at: str = "start",
    ) -> str:
        """Start the dossier's execution; starting the same attempt again is harmless."""
        name = self.execution_name(dossier_id, attempt)
        document = {
            "dossier_id": dossier_id,
            "attempt": attempt,
            "payment_required": payment_required,
            "payment_timeout_seconds": self._payment_timeout,
            "resume_at": resume_at,
        }
        try:
            response = self._client.start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(document)
            )
        except self._client.exceptions.ExecutionAlreadyExists:
            logger.info("execution already started", execution=name)
            return f"{self._arn.replace(':stateMachine:', ':execution:')}:{name}"
        except self._client.exceptions.ClientError as error:
            raise _translate(error) from error
        logger.info("execution started", execution=name, resume_at=resume_at)
        return str(response["executionArn"])

    def complete_step(self, task_token: str, output: dict[str, Any]) -> bool:
        """Complete a waiting step; False when the token was already used or timed out."""
        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps(output))
        except (self._client.exceptions.TaskTimedOut, self._client.exceptions.InvalidToken):
            logger.info("task token already settled")
            return False
        except self._client.exceptions.ClientError as error:
            raise _translate(error) from error
        return True


def _translate(error: Any) -> Exception:
    code = error.response.get("Error", {}).get("Code", "")
    if code in RETRYABLE:
        return TransientError(f"Step Functions is unavailable ({code})")
    return error
