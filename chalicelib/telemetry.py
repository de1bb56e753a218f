"""Structured logs and business metrics (Powertools), one logger for the whole service."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "coissuer"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Coissuer", service=SERVICE)


def bind_invocation(correlation_id: str | None, **keys: object) -> None:
    """Start one invocation's log context: its correlation id and ids as keys.

    The keys are this thread's own. Lambda runs one invocation at a time per process, but the
    local stack runs several functions in one process at once (a Parallel state's branches),
    and keys shared between threads change under a log line being written.
    """
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(correlation_id=correlation_id, **keys)


def bind_keys(**keys: object) -> None:
    """More ids for the current invocation's log lines (this thread's)."""
    logger.thread_safe_append_keys(**keys)


def correlation_id() -> str | None:
    value = logger.thread_safe_get_current_keys().get("correlation_id")
    return None if value is None else str(value)


def count_event(name: str, **dimensions: str) -> None:
    """Emit one business event as a metric right away (EMF in the log)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace="Coissuer") as metric:
        metric.add_dimension(name="service", value=SERVICE)
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)
