"""Recorded payments by department and day, read from the table's GSI3.

Item shape this reads: the bank transactions the payment callback route stores,
`BANKTXN#{bank}#{txn_id}` / `BANKTXN`, which for a credited payment carry

    GSI3PK              PAYMENTS#{department}
    GSI3SK              {Vietnam day of booked_at}#{bank}#{txn_id}   (a stable order)
    payment_reference, dossier_id, txn_id
    amount              integer VND (`amount_vnd` is read too)
    booked_at           ISO 8601, timezone-aware (`credited_at` is read too)
    outcome             paid, partial or overpaid (`credited`); others are skipped, but
                        for the remittance, which also reads `reversal_flagged`
    refund_due_vnd      the part of an overpayment due back to the payer
    received_via        `statement` for a credit recorded from a statement line

A day is one Query: the partition of the department, sort keys beginning with the day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from chalicelib.domain.errors import TransientError
from chalicelib.domain.reconciliation import Collection, RecordedPayment

CREDITED_OUTCOMES = frozenset({"paid", "partial", "overpaid", "credited"})
REVERSED_OUTCOME = "reversal_flagged"


def payments_partition(department: str) -> str:
    return f"PAYMENTS#{department}"


def payments_sort_key(day: date, bank: str, txn_id: str) -> str:
    return f"{day.isoformat()}#{bank}#{txn_id}"


class DynamoPaymentLedger:
    def __init__(self, table: Any) -> None:
        self._table = table

    def recorded_payments(self, department: str, day: date) -> Iterator[RecordedPayment]:
        """Credited payments of the day, in sort-key order, page by page."""
        for item in self._items(department, day):
            if item.get("outcome", "credited") not in CREDITED_OUTCOMES:
                continue
            if not item.get("payment_reference"):
                continue
            yield RecordedPayment(
                payment_reference=item["payment_reference"],
                amount_vnd=int(item.get("amount", item.get("amount_vnd", 0))),
                txn_id=item["txn_id"],
                dossier_id=item.get("dossier_id") or "",
                credited_at=datetime.fromisoformat(item.get("booked_at") or item["credited_at"]),
                from_statement=item.get("received_via") == "statement",
            )

    def collections(self, department: str, day: date) -> Iterator[Collection]:
        """The day's credits and the reversals the bank booked against earlier credits."""
        for item in self._items(department, day):
            outcome = item.get("outcome", "credited")
            if outcome in CREDITED_OUTCOMES:
                yield Collection(
                    amount_vnd=int(item.get("amount", item.get("amount_vnd", 0))),
                    refund_due_vnd=int(item.get("refund_due_vnd", 0)),
                )
            elif outcome == REVERSED_OUTCOME:
                yield Collection(amount_vnd=int(item["amount"]), reversal=True)

    def _items(self, department: str, day: date) -> Iterator[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key
        from botocore.exceptions import BotoCoreError, ClientError

        query: dict[str, Any] = {
            "IndexName": "GSI3",
            "KeyConditionExpression": Key("GSI3PK").eq(payments_partition(department))
            & Key("GSI3SK").begins_with(f"{day.isoformat()}#"),
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
