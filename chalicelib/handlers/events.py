"""Statement arrival (SQS) and the reconciliation schedules: thin entry points.

A statement file lands in the statements bucket, S3 notifies the queue, and each message is
reconciled here. An error propagates, so SQS delivers the message again and, after the
queue's receive count, parks it in the dead-letter queue where operations see it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.services.reconciliation import previous_month, yesterday_in_vietnam
from chalicelib.telemetry import bind_invocation, logger, metrics
from chalicelib.wiring import container


def reconcile_statements(event: Any, context: Any = None) -> None:
    """Chalice SQS handler: each record is an S3 notification for a dropped file."""
    bind_invocation(getattr(context, "aws_request_id", None))
    try:
        for record in event:
            for bucket, key in _objects_in(record.body):
                outcome = container().reconciliation.reconcile_statement_object(bucket, key)
                logger.info(
                    "statement file handled",
                    key=key,
                    department=outcome.department,
                    status=outcome.status,
                )
    finally:
        metrics.flush_metrics()


def _payload(event: Any) -> dict[str, Any]:
    # A schedule delivers a CloudWatch event object; an on-demand run passes a plain dict.
    payload = event.to_dict() if hasattr(event, "to_dict") else event
    return payload if isinstance(payload, dict) else {}


def check_statements_arrived(event: Any, context: Any = None) -> dict[str, Any]:
    """Scheduled daily at 09:00 Vietnam time (02:00 UTC): yesterday's statements."""
    bind_invocation(getattr(context, "aws_request_id", None))
    deps = container()
    day = yesterday_in_vietnam(deps.clock())
    missing = deps.reconciliation.check_statements_arrived(day)
    metrics.flush_metrics()
    return {"day": day.isoformat(), "missing": missing}


def monthly_remittance(event: Any, context: Any = None) -> dict[str, Any]:
    """Scheduled on the 1st of each month: last month's fees per live department."""
    bind_invocation(getattr(context, "aws_request_id", None))
    event = _payload(event)
    deps = container()
    month = event.get("month") or previous_month(deps.clock())
    departments = event.get("departments") or deps.reconciliation_departments.live_departments()
    written = [deps.reconciliation.monthly_remittance(code, month) for code in departments]
    return {"month": month, "statements": [entry["report_key"] for entry in written]}


def _objects_in(body: str) -> list[tuple[str, str]]:
    notification = json.loads(body)
    if notification.get("Event") == "s3:TestEvent":
        return []
    return [
        (record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"]))
        for record in notification.get("Records", [])
        # AWS names the event `ObjectCreated:Put`; some emulators prefix it with `s3:`.
        if record.get("eventName", "").removeprefix("s3:").startswith("ObjectCreated")
    ]


def watch_review_sla(event: Any, context: Any = None) -> dict[str, Any]:
    """Scheduled every 15 minutes: flag dossiers past their review deadline, tell the department."""
    from chalicelib.services.sla import watch_review_deadlines

    bind_invocation(getattr(context, "aws_request_id", None))
    payload = _payload(event)
    return watch_review_deadlines(container(), payload.get("departments"))
