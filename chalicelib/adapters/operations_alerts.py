"""Alerts for operations, kept in the table so the operations view can list them per
department, and logged so that a log-based alarm can page someone; and the department's
e-mail summary of a statement's mismatches.

Items:
    ALERTS#{department} / {raised_at}#{kind}       an alert, `status` open, with the detail
    ALERTMAIL#{department} / {day}#{file_hash}      the summary of that file was mailed

Raising the same alert at the same instant twice writes the same item, so a retried run
leaves no duplicates; a statement file's summary is mailed once, a re-run sends no second.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.domain.errors import TransientError
from chalicelib.domain.notifications import Notice
from chalicelib.domain.reconciliation import MismatchSummary

logger = Logger(service="reconciliation")
OPEN = "open"


class TableAlerts:
    def __init__(self, table: Any, clock: Callable[[], datetime] | None = None) -> None:
        self._table = table
        self._clock = clock or (lambda: datetime.now(UTC))

    def alert(self, department: str, kind: str, detail: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        raised_at = self._clock().isoformat()
        logger.warning("operations alert", department=department, kind=kind, detail=detail)
        try:
            self._table.put_item(
                Item={
                    "PK": f"ALERTS#{department}",
                    "SK": f"{raised_at}#{kind}",
                    "kind": kind,
                    "detail": detail,
                    "raised_at": raised_at,
                    "status": OPEN,
                }
            )
        except (ClientError, BotoCoreError) as error:
            raise TransientError("alert could not be recorded") from error

    def open_alerts(self, department: str, limit: int = 100) -> list[dict[str, str]]:
        """The department's open alerts, newest first (alerts raised before alerts had a
        status are open: nothing closes an alert yet)."""
        from boto3.dynamodb.conditions import Attr, Key
        from botocore.exceptions import BotoCoreError, ClientError

        query: dict[str, Any] = {
            "KeyConditionExpression": Key("PK").eq(f"ALERTS#{department}"),
            "FilterExpression": Attr("status").not_exists() | Attr("status").eq(OPEN),
            "ScanIndexForward": False,
        }
        alerts: list[dict[str, str]] = []
        while len(alerts) < limit:
            try:
                page = self._table.query(**query)
            except (ClientError, BotoCoreError) as error:
                raise TransientError("alerts could not be read") from error
            alerts += [
                {
                    "raised_at": str(item["raised_at"]),
                    "kind": str(item["kind"]),
                    "detail": str(item.get("detail", "")),
                }
                for item in page.get("Items", [])
            ]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return alerts[:limit]


class DepartmentMismatchMail:
    """Tells a department's contacts, by e-mail, what did not match in a statement file."""

    def __init__(self, departments: Any, mailer: Any, table: Any) -> None:
        self._departments = departments
        self._mailer = mailer
        self._table = table

    def tell_mismatches(self, summary: MismatchSummary) -> None:
        department = summary.department
        marker = {
            "PK": f"ALERTMAIL#{department}",
            "SK": f"{summary.day.isoformat()}#{summary.file_hash}",
        }
        if self._table.get_item(Key=marker).get("Item"):
            return
        recipients = [contact.email for contact in self._departments.get(department).contacts]
        if not recipients:
            logger.warning("department has no contact to tell of mismatches", department=department)
            return
        self._mailer.send(recipients, mismatch_notice(summary))
        # Written after sending: a crash in between sends a second copy, never none.
        self._table.put_item(Item={**marker, "recipients": len(recipients)})
        logger.info("department told of mismatches", department=department,
                    file_hash=summary.file_hash)  # fmt: skip


def mismatch_notice(summary: MismatchSummary) -> Notice:
    day = summary.day.isoformat()
    counts = ", ".join(f"{outcome}={count}" for outcome, count in summary.counts.items())
    rows = "\n".join(
        f"- {row.outcome.value}: {row.payment_reference or '(no reference)'}"
        f" statement {row.statement_amount or '-'} recorded {row.recorded_amount or '-'}"
        f" bank ref {row.bank_reference or '-'} {row.detail}".rstrip()
        for row in summary.rows
    )
    more = summary.total_rows - len(summary.rows)
    lines = [
        f"Đối soát sao kê ngày {day} / Statement reconciliation of {day}",
        f"Trạng thái / Status: {summary.status}",
    ]
    if summary.problems:
        lines.append(f"Lỗi sao kê / Statement problems: {', '.join(summary.problems)}")
    if counts:
        lines.append(f"Chênh lệch / Mismatches: {counts}")
    if rows:
        lines.append(rows)
    if more > 0:
        lines.append(f"... {more} dòng khác / more rows in the report")
    lines.append(f"Báo cáo / Report: {', '.join(summary.report_keys)}")
    return Notice(
        subject=f"Chênh lệch đối soát / Reconciliation mismatches {day} ({summary.department})",
        body="\n".join(lines) + "\n",
    )
