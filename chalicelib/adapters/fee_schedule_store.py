"""Fee rates operations enter ahead of a new circular, kept in the stage's table.

Keys: `FEES` / `RATE#{kind}#{effective_from}` for a rate (with its version), and
`FEES` / `EVENT#{at}#{kind}#{effective_from}#v{version}` for the audit of each entry. One
Query reads every entered rate; they are laid over the packaged schedule.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import ConflictError, TransientError
from chalicelib.domain.fees import FeeKind, FeeRate, FeeSchedule, default_fee_schedule

PARTITION = "FEES"
RATE_PREFIX = "RATE#"


class TableFeeSchedule:
    def __init__(self, table: Any) -> None:
        self._table = table

    def schedule(self) -> FeeSchedule:
        """The packaged rates with every rate entered since laid over them."""
        return default_fee_schedule().with_rates([rate for rate, _ in self.entered_rates()])

    def entered_rates(self) -> list[tuple[FeeRate, dict[str, Any]]]:
        """Each entered rate with who entered it, when, and its version."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": PARTITION, ":prefix": RATE_PREFIX},
            "ConsistentRead": True,
        }
        found: list[tuple[FeeRate, dict[str, Any]]] = []
        while True:
            page = self._call(self._table.query, **query)
            for item in page.get("Items", []):
                rate = FeeRate(
                    kind=item["kind"],
                    amount_vnd=int(item["amount_vnd"]),
                    effective_from=date.fromisoformat(item["effective_from"]),
                    source=item["source"],
                )
                entry = {
                    "entered_by": item["entered_by"],
                    "entered_at": item["entered_at"],
                    "version": int(item["version"]),
                }
                found.append((rate, entry))
            if "LastEvaluatedKey" not in page:
                return found
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def enter_rate(self, rate: FeeRate, actor: str, now: datetime) -> int:
        """Create or replace the rate of its kind and day, with an audit event; the new
        version. A concurrent entry for the same kind and day is a conflict."""
        key = {"PK": PARTITION, "SK": _rate_key(rate.kind, rate.effective_from)}
        current = self._call(self._table.get_item, Key=key, ConsistentRead=True).get("Item")
        version = int(current["version"]) + 1 if current else 1
        condition = (
            {
                "ConditionExpression": "version = :seen",
                "ExpressionAttributeValues": {":seen": version - 1},
            }
            if current
            else {"ConditionExpression": "attribute_not_exists(PK)"}
        )
        fields = {
            "kind": rate.kind.value,
            "amount_vnd": rate.amount_vnd,
            "effective_from": rate.effective_from.isoformat(),
            "source": rate.source,
            "entered_by": actor,
            "entered_at": now.isoformat(),
        }
        audit = {
            "PK": PARTITION,
            "SK": f"EVENT#{now.isoformat()}#{rate.kind.value}#{rate.effective_from}#v{version}",
            "action": "fee_rate_entered",
            "replaced_amount_vnd": int(current["amount_vnd"]) if current else None,
            **fields,
        }
        writes = [
            {"Put": {"Item": {**key, **fields, "version": version}, **condition}},
            {"Put": {"Item": audit, "ConditionExpression": "attribute_not_exists(PK)"}},
        ]
        client = self._table.meta.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {kind: {"TableName": self._table.name, **body}}
                    for write in writes
                    for kind, body in write.items()
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise ConflictError(
                    "The rate was changed meanwhile; read it again",
                    kind=rate.kind.value,
                    effective_from=rate.effective_from.isoformat(),
                ) from error
            raise TransientError("fee rates could not be written") from error
        except BotoCoreError as error:
            raise TransientError("fee rates could not be written") from error
        return version

    def _call(self, operation: Any, **arguments: Any) -> Any:
        try:
            return operation(**arguments)
        except (ClientError, BotoCoreError) as error:
            raise TransientError("fee rates could not be read") from error


def _rate_key(kind: FeeKind, effective_from: date) -> str:
    return f"{RATE_PREFIX}{kind.value}#{effective_from.isoformat()}"
