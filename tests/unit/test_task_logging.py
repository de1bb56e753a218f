"""Each invocation logs under its own correlation id, even with others running beside it."""

from __future__ import annotations

import io
import json
import logging
import threading
from types import SimpleNamespace

from chalicelib.handlers.tasks import _bind
from chalicelib.telemetry import bind_invocation, correlation_id, logger

EXECUTION = "arn:aws:states:ap-southeast-1:123456789012:execution:coissuer-local-dossier:D1-1"


def test_a_task_takes_the_execution_id_as_its_correlation_id() -> None:
    _bind({"dossier_id": "D1", "execution": EXECUTION}, SimpleNamespace(aws_request_id="r-1"))

    assert correlation_id() == EXECUTION


def test_a_direct_invocation_correlates_by_its_request_id() -> None:
    _bind({"dossier_id": "D1"}, SimpleNamespace(aws_request_id="r-2"))

    assert correlation_id() == "r-2"


def test_a_new_invocation_drops_the_previous_ones_keys() -> None:
    bind_invocation("first", dossier_id="D1")

    bind_invocation("second")

    assert logger.thread_safe_get_current_keys().get("dossier_id") is None


def test_invocations_in_two_threads_log_under_their_own_ids_without_racing() -> None:
    # given a capture of the logger's JSON lines
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    failures: list[BaseException] = []

    def invocation(name: str) -> None:
        try:
            for round_number in range(300):
                bind_invocation(f"{name}-{round_number}", dossier_id=name)
                logger.info("step done", round_number=round_number)
        except BaseException as error:
            failures.append(error)

    # when two invocations bind and log at the same time
    threads = [threading.Thread(target=invocation, args=(name,)) for name in ("A", "B")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        logger.removeHandler(handler)

    # then nothing raised and every line carries its own invocation's ids
    assert failures == []
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 600
    assert all(
        line["correlation_id"] == f"{line['dossier_id']}-{line['round_number']}" for line in lines
    )
