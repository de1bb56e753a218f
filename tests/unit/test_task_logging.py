"""Workflow tasks log under the execution that runs them."""

from __future__ import annotations

from types import SimpleNamespace

from chalicelib.handlers.tasks import _bind
from chalicelib.telemetry import logger

EXECUTION = "arn:aws:states:ap-southeast-1:123456789012:execution:coissuer-local-dossier:D1-1"


def test_a_task_takes_the_execution_id_as_its_correlation_id() -> None:
    _bind({"dossier_id": "D1", "execution": EXECUTION}, SimpleNamespace(aws_request_id="r-1"))

    assert logger.get_correlation_id() == EXECUTION


def test_a_direct_invocation_correlates_by_its_request_id() -> None:
    _bind({"dossier_id": "D1"}, SimpleNamespace(aws_request_id="r-2"))

    assert logger.get_correlation_id() == "r-2"
