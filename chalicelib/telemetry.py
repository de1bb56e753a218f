"""Structured logs and business metrics (Powertools), one logger for the whole service."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "coissuer"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Coissuer", service=SERVICE)


def count_event(name: str, **dimensions: str) -> None:
    """Emit one business event as a metric right away (EMF in the log)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace="Coissuer") as metric:
        metric.add_dimension(name="service", value=SERVICE)
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)
