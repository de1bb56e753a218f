"""Alerts for operations, kept in the table so the operations view can list them per
department, and logged so that a log-based alarm can page someone.

Item: ALERTS#{department} / {raised_at}#{kind}, with the detail. Raising the same alert at
the same instant twice writes the same item, so a retried run leaves no duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.domain.errors import TransientError

logger = Logger(service="reconciliation")


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
                }
            )
        except (ClientError, BotoCoreError) as error:
            raise TransientError("alert could not be recorded") from error
