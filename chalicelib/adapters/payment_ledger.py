"""Recorded payments by department and day, read from the table's GSI3.

Item shape this reads (written by the payment callback route, one per credited bank
transaction, e.g. under `BANKTXN#{bank}#{txn_id}`):

    GSI3PK          PAYDAY#{department}#{yyyy-mm-dd}   the Vietnam day of credited_at
    GSI3SK          {credited_at}#{txn_id}             a stable order for re-runs
    payment_reference, amount_vnd (number), txn_id, dossier_id,
    credited_at     ISO 8601, timezone-aware (UTC)
    outcome         "credited" (items with another outcome, e.g. suspense, are skipped;
                    an item without one counts as credited)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from chalicelib.domain.errors import TransientError
from chalicelib.domain.reconciliation import RecordedPayment

_FIELDS = "payment_reference, amount_vnd, txn_id, dossier_id, credited_at, outcome"


def payday_key(department: str, day: date) -> str:
    return f"PAYDAY#{department}#{day.isoformat()}"


class DynamoPaymentLedger:
    def __init__(self, table: Any) -> None:
        self._table = table

    def recorded_payments(self, department: str, day: date) -> Iterator[RecordedPayment]:
        """Credited payments of the day, in credited_at order, page by page."""
        for item in self._items(payday_key(department, day)):
            if item.get("outcome", "credited") != "credited":
                continue
            yield RecordedPayment(
                payment_reference=item["payment_reference"],
                amount_vnd=int(item["amount_vnd"]),
                txn_id=item["txn_id"],
                dossier_id=item["dossier_id"],
                credited_at=datetime.fromisoformat(item["credited_at"]),
            )

    def _items(self, partition: str) -> Iterator[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key
        from botocore.exceptions import BotoCoreError, ClientError

        query: dict[str, Any] = {
            "IndexName": "GSI3",
            "KeyConditionExpression": Key("GSI3PK").eq(partition),
            "ProjectionExpression": _FIELDS,
        }
        while True:
            try:
                page = self._table.query(**query)
            except (ClientError, BotoCoreError) as error:
                raise TransientError("payments by day could not be read") from error
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
