"""What the table knows of statements: claims, summaries, the day index and pending payments.

Items:
    STMT#{dept}#{date}#{file_hash} / SUMMARY    claim, then summary of one statement file
    STMTDAY#{dept}#{date} / {file_hash}         index of the files reconciled for a day
    STMTID#{dept}#{statement_id} / CLAIM        the bank's statement id, held by one file
    RECONPENDING#{dept} / {payment_reference}   a recorded payment no statement carried yet
    STMTSEQ#{dept}#{account} / {date}           the sequence number last read for a day

A file is claimed with a conditional put before any work, so a second delivery of the same
file, at once or later, finds the claim and stops. A claim left `in_progress` by a crashed
run can be taken over once its lease has run out, so a retry is never blocked for good.

A bank statement id is held by the file that first carried it, with that file's status. A
file whose run was flagged or failed applied nothing, so a corrected file carrying the same
id takes it over; an id held by a reconciled file is never taken again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.domain.errors import TransientError
from chalicelib.domain.reconciliation import PendingPayment

CLAIM_LEASE = timedelta(minutes=20)
# Resolved pending payments are kept this long for re-runs, then expire (table TTL).
PENDING_KEPT = timedelta(days=90)


def summary_key(department: str, day: date, file_hash: str) -> dict[str, str]:
    return {"PK": f"STMT#{department}#{day.isoformat()}#{file_hash}", "SK": "SUMMARY"}


class DynamoStatementLedger:
    def __init__(self, table: Any) -> None:
        self._table = table

    def claim_file(self, department: str, day: date, file_hash: str, now: datetime) -> bool:
        """True when this run may reconcile the file; False when it is done or in hand."""
        item = {
            **summary_key(department, day, file_hash),
            "status": "in_progress",
            "claimed_at": now.isoformat(),
            "department": department,
            "day": day.isoformat(),
            "file_hash": file_hash,
        }
        condition = "attribute_not_exists(PK) OR (#status = :busy AND claimed_at < :expired)"
        values = {":busy": "in_progress", ":expired": (now - CLAIM_LEASE).isoformat()}
        return self._put_if(item, condition, {"#status": "status"}, values)

    def release_claim(self, department: str, day: date, file_hash: str) -> None:
        """Drop an unfinished claim (the run failed), so a redelivery tries again."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._table.delete_item(
                Key=summary_key(department, day, file_hash),
                ConditionExpression="#status = :busy",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":busy": "in_progress"},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise TransientError("statement claim could not be released") from error
        except BotoCoreError as error:
            raise TransientError("statement claim could not be released") from error

    def claim_statement_id(self, department: str, statement_id: str, file_hash: str) -> bool:
        """True when this file holds the bank statement id: it did already, nobody did, or the
        file holding it was flagged or failed (a corrected file takes over)."""
        if self._holds(department, statement_id, file_hash):
            return True
        item = {
            **_statement_id_key(department, statement_id),
            "file_hash": file_hash,
            "status": "in_progress",
        }
        condition = "attribute_not_exists(PK) OR #status IN (:flagged, :failed)"
        values = {":flagged": "flagged", ":failed": "failed"}
        return self._put_if(item, condition, {"#status": "status"}, values)

    def settle_statement_ids(
        self, department: str, statement_ids: Iterable[str], file_hash: str, status: str
    ) -> None:
        """Record how the run of the file holding these ids ended (reconciled, flagged or
        failed); an id another file has taken over meanwhile is left to that file."""
        for statement_id in statement_ids:
            self._update_if(
                _statement_id_key(department, statement_id),
                "SET #status = :status",
                "file_hash = :mine",
                {":status": status, ":mine": file_hash},
            )

    def _holds(self, department: str, statement_id: str, file_hash: str) -> bool:
        # The holder keeps its status: a re-run that fails must not free a reconciled id.
        return self._update_if(
            _statement_id_key(department, statement_id),
            "SET file_hash = :mine",
            "file_hash = :mine",
            {":mine": file_hash},
        )

    def finish(self, department: str, day: date, file_hash: str, summary: dict[str, Any]) -> None:
        """Record the outcome, then index the file under its day.

        Both writes put the same items for the same run, so a retry after a crash between
        them completes the pair; the claim taken before reconciling is the guard.
        """
        summary_item = {
            **summary_key(department, day, file_hash),
            **_to_item(summary),
            "department": department,
            "day": day.isoformat(),
            "file_hash": file_hash,
        }
        index_item = {
            "PK": f"STMTDAY#{department}#{day.isoformat()}",
            "SK": file_hash,
            "status": summary["status"],
            "sequence_number": summary.get("sequence_number") or "",
            "report_keys": summary.get("report_keys", []),
            "finished_at": summary.get("finished_at", ""),
        }
        self._call(self._table.put_item, Item=summary_item)
        self._call(self._table.put_item, Item=index_item)

    def files_of_day(self, department: str, day: date) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        response = self._call(
            self._table.query,
            KeyConditionExpression=Key("PK").eq(f"STMTDAY#{department}#{day.isoformat()}"),
        )
        # The index is keyed by file hash; operations read a day's files in the order they
        # were reconciled, so the last is the latest.
        items = list(response.get("Items", []))
        return sorted(items, key=lambda item: (str(item.get("finished_at", "")), item["SK"]))

    def summary(self, department: str, day: date, file_hash: str) -> dict[str, Any] | None:
        response = self._call(self._table.get_item, Key=summary_key(department, day, file_hash))
        return response.get("Item")

    def previous_sequence_number(self, department: str, account: str, day: date) -> str | None:
        """The sequence number of the account's latest statement before `day`, however many
        days ago (weekends and holidays bring no file); a re-run sees what it saw before."""
        from boto3.dynamodb.conditions import Key

        response = self._call(
            self._table.query,
            KeyConditionExpression=Key("PK").eq(_sequence_partition(department, account))
            & Key("SK").lt(day.isoformat()),
            ScanIndexForward=False,
            Limit=1,
        )
        items = response.get("Items", [])
        return str(items[0]["sequence_number"]) if items else None

    def note_sequence_number(
        self, department: str, account: str, day: date, sequence_number: str
    ) -> None:
        """Idempotent: a re-run or a corrected file of the day writes the same item."""
        item = {
            "PK": _sequence_partition(department, account),
            "SK": day.isoformat(),
            "sequence_number": sequence_number,
        }
        self._call(self._table.put_item, Item=item)

    def pending_payments(self, department: str) -> Iterator[PendingPayment]:
        from boto3.dynamodb.conditions import Key

        query: dict[str, Any] = {
            "KeyConditionExpression": Key("PK").eq(f"RECONPENDING#{department}")
        }
        while True:
            page = self._call(self._table.query, **query)
            for item in page.get("Items", []):
                yield PendingPayment(
                    payment_reference=item["SK"],
                    amount_vnd=int(item["amount_vnd"]),
                    txn_id=item["txn_id"],
                    dossier_id=item["dossier_id"],
                    recorded_on=date.fromisoformat(item["recorded_on"]),
                    timing=bool(item.get("timing", False)),
                    resolved_on=_optional_date(item.get("resolved_on")),
                )
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def save_pending(
        self,
        department: str,
        still_pending: Iterable[PendingPayment],
        resolved: Iterable[PendingPayment],
        *,
        resolved_on: date,
    ) -> None:
        """Idempotent: the same result written twice leaves the same items.

        Resolved payments stay, marked with the day that resolved them, so that a re-run of an
        earlier day sees the same pending payments as its first run did; they expire later.
        """
        partition = f"RECONPENDING#{department}"
        resolved_items = [item.model_copy(update={"resolved_on": resolved_on}) for item in resolved]
        try:
            with self._table.batch_writer(overwrite_by_pkeys=["PK", "SK"]) as batch:
                for item in [*still_pending, *resolved_items]:
                    batch.put_item(Item=_pending_item(partition, item))
        except Exception as error:
            raise TransientError("pending payments could not be saved") from error

    def _put_if(
        self,
        item: dict[str, Any],
        condition: str,
        names: dict[str, str] | None,
        values: dict[str, Any],
    ) -> bool:
        arguments: dict[str, Any] = {
            "Item": item,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            arguments["ExpressionAttributeNames"] = names
        return _written_if(self._table.put_item, arguments)

    def _update_if(
        self, key: dict[str, str], update: str, condition: str, values: dict[str, Any]
    ) -> bool:
        arguments: dict[str, Any] = {
            "Key": key,
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if "#status" in update:
            arguments["ExpressionAttributeNames"] = {"#status": "status"}
        return _written_if(self._table.update_item, arguments)

    def _call(self, operation: Any, **arguments: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return operation(**arguments)
        except (ClientError, BotoCoreError) as error:
            raise TransientError("statement records could not be accessed") from error


def _sequence_partition(department: str, account: str) -> str:
    return f"STMTSEQ#{department}#{re.sub(r'[^0-9A-Za-z]', '', account).upper()}"


def _statement_id_key(department: str, statement_id: str) -> dict[str, str]:
    return {"PK": f"STMTID#{department}#{statement_id}", "SK": "CLAIM"}


def _pending_item(partition: str, item: PendingPayment) -> dict[str, Any]:
    record: dict[str, Any] = {
        "PK": partition,
        "SK": item.payment_reference,
        "amount_vnd": item.amount_vnd,
        "txn_id": item.txn_id,
        "dossier_id": item.dossier_id,
        "recorded_on": item.recorded_on.isoformat(),
        "timing": item.timing,
    }
    if item.resolved_on is not None:
        record["resolved_on"] = item.resolved_on.isoformat()
        expiry = datetime.combine(item.resolved_on + PENDING_KEPT, datetime.min.time(), UTC)
        record["expires_at"] = int(expiry.timestamp())
    return record


def _optional_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _to_item(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: _to_attribute(value) for key, value in summary.items() if value is not None}


def _to_attribute(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _to_attribute(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_to_attribute(inner) for inner in value]
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _written_if(write: Any, arguments: dict[str, Any]) -> bool:
    """A conditional write: False when its condition did not hold, else True."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        write(**arguments)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise TransientError("statement claim could not be written") from error
    except BotoCoreError as error:
        raise TransientError("statement claim could not be written") from error
    return True
