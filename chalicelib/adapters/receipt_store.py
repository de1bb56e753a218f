"""Receipts in the stage's table, with their gap-free number sequence per form and series.

Items:
- `RSEQ#{form}#{series}` / `META`: `last_number`, the counter of the series.
- `RECEIPT#{form}#{series}#{number}` / `META`: the receipt; GSI3 lists a series by issue day.
- `RECEIPT#{form}#{series}#{number}` / `EVENT#{time}#{action}`: audit of changes of standing.
- `RECEIPT_FOR#{subject}` / `META`: the one receipt issued for a payment (or for a correction
  of a receipt); written in the same transaction as the number, so a retry finds it.
- `DOSSIER#{id}` / `RECEIPT`: the dossier's receipt in force (replacements move it).
"""

from __future__ import annotations

import secrets
import time
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

from aws_lambda_powertools import Logger
from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import (
    ConflictError,
    NotFoundError,
    RuleViolationError,
    TransientError,
)
from chalicelib.domain.receipt_provider import PublishedReceipt
from chalicelib.domain.receipts import (
    MAX_NUMBER,
    Receipt,
    ReceiptAction,
    ReceiptDraft,
    ReceiptKey,
    ReceiptKind,
    ReceiptStatus,
    UsagePeriod,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

logger = Logger(service="receipts")

META = "META"
DOSSIER_RECEIPT = "RECEIPT"
ALLOCATION_ATTEMPTS = 60
_THROTTLING = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
}
_jitter = secrets.SystemRandom()


def receipt_pk(key: ReceiptKey) -> str:
    return f"RECEIPT#{key.form_number}#{key.series}#{key.number_text}"


def sequence_pk(form_number: str, series: str) -> str:
    return f"RSEQ#{form_number}#{series}"


def series_index_pk(form_number: str, series: str) -> str:
    return f"RECEIPTS#{form_number}#{series}"


def dossier_pk(dossier_id: str) -> str:
    return f"DOSSIER#{dossier_id}"


def guard_pk(subject: str) -> str:
    return f"RECEIPT_FOR#{subject}"


def correction_subject(original: ReceiptKey, kind: ReceiptKind) -> str:
    return f"{kind.value.upper()}#{original.provider_key}"


class ReceiptStore:
    """Allocates numbers and keeps receipts; every change is a conditional write."""

    def __init__(self, table: Table) -> None:
        self._table = table
        # The resource's client converts Python values for transactions as the table does.
        self._client = table.meta.client
        self._table_name = table.name

    def issue(self, draft: ReceiptDraft) -> Receipt:
        """Numbers the draft as the one receipt of its payment; a repeat returns that receipt."""
        return self._allocate(draft, draft.payment_reference, lambda _receipt: [])

    def issue_correction(self, draft: ReceiptDraft, action: ReceiptAction) -> Receipt:
        """Numbers a replacement or adjustment and retires the original in one transaction."""
        if draft.original is None:
            raise ConflictError("a correction names its original receipt")
        subject = correction_subject(draft.original, draft.kind)
        retired = ReceiptStatus.REPLACED
        if draft.kind is ReceiptKind.ADJUSTMENT:
            retired = ReceiptStatus.ADJUSTED
        original = draft.original

        def retire_original(receipt: Receipt) -> list[dict[str, Any]]:
            return [
                self._standing_change(original, retired, action, superseded_by=receipt.key),
                self._event(original, retired.value, action),
            ]

        return self._allocate(draft, subject, retire_original)

    def get(self, key: ReceiptKey) -> Receipt | None:
        item = self._get(receipt_pk(key))
        return _receipt_from(item) if item else None

    def require(self, key: ReceiptKey) -> Receipt:
        receipt = self.get(key)
        if receipt is None:
            raise NotFoundError("No such receipt", receipt=key.provider_key)
        return receipt

    def receipt_of_dossier(self, dossier_id: str) -> Receipt | None:
        """The dossier's receipt in force, or None before its payment was receipted."""
        answer = self._call(
            self._table.get_item,
            Key={"PK": dossier_pk(dossier_id), "SK": DOSSIER_RECEIPT},
            ConsistentRead=True,
        )
        pointer = answer.get("Item")
        return self.require(_key_from(pointer)) if pointer else None

    def receipt_for_payment(self, payment_reference: str) -> Receipt | None:
        """The receipt issued for a payment, following replacements to the one in force."""
        guard = self._get(guard_pk(payment_reference))
        if guard is None:
            return None
        receipt = self.require(_key_from(guard))
        while receipt.superseded_by is not None and receipt.status is ReceiptStatus.REPLACED:
            receipt = self.require(receipt.superseded_by)
        return receipt

    def record_publish_attempt(self, key: ReceiptKey) -> int:
        """Counts calls to the provider, so a later try knows to look the receipt up first."""
        answer = self._call(
            self._table.update_item,
            Key={"PK": receipt_pk(key), "SK": META},
            UpdateExpression="ADD publish_attempts :one",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_OLD",
        )
        return int(answer.get("Attributes", {}).get("publish_attempts", 0))

    def mark_published(self, receipt: Receipt, published: PublishedReceipt) -> Receipt:
        """Records the provider's answer; a repeat leaves the first answer in place."""
        try:
            answer = self._table.update_item(
                Key={"PK": receipt_pk(receipt.key), "SK": META},
                UpdateExpression=(
                    "SET #status = :published, provider = :provider, "
                    "signature_reference = :signature, xml_key = :xml, pdf_key = :pdf"
                ),
                ConditionExpression="#status = :allocated",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":published": ReceiptStatus.PUBLISHED.value,
                    ":allocated": ReceiptStatus.ALLOCATED.value,
                    ":provider": published.provider,
                    ":signature": published.signature_reference,
                    ":xml": published.xml_key,
                    ":pdf": published.pdf_key,
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return self.require(receipt.key)
            _reraise(error)
        return _receipt_from(answer["Attributes"])

    def cancel(self, key: ReceiptKey, action: ReceiptAction) -> Receipt:
        """Cancels a receipt in force and records who did it and why."""
        items = [
            self._standing_change(key, ReceiptStatus.CANCELLED, action, superseded_by=None),
            self._event(key, ReceiptStatus.CANCELLED.value, action),
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if _code(error) == "TransactionCanceledException":
                raise ConflictError(
                    "The receipt is not in force", receipt=key.provider_key
                ) from error
            _reraise(error)
        logger.info("receipt cancelled", receipt=key.provider_key, actor=action.actor)
        return self.require(key)

    def events(self, key: ReceiptKey) -> list[dict[str, Any]]:
        answer = self._call(
            self._table.query,
            KeyConditionExpression=Key("PK").eq(receipt_pk(key)) & Key("SK").begins_with("EVENT#"),
        )
        return list(answer["Items"])

    def in_series(self, form_number: str, series: str, period: UsagePeriod) -> list[Receipt]:
        """Receipts of a series issued on the period's Vietnam days, by Query on GSI3."""
        condition = Key("GSI3PK").eq(series_index_pk(form_number, series)) & Key("GSI3SK").between(
            f"{period.first_day.isoformat()}#", f"{period.last_day.isoformat()}#~"
        )
        receipts: list[Receipt] = []
        request: dict[str, Any] = {"IndexName": "GSI3", "KeyConditionExpression": condition}
        while True:
            answer = self._call(self._table.query, **request)
            receipts.extend(_receipt_from(item) for item in answer["Items"])
            if "LastEvaluatedKey" not in answer:
                return receipts
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def highest_number_until(self, form_number: str, series: str, day: date) -> int:
        """The highest number of a series used by the end of `day` (Vietnam), 0 if none."""
        condition = Key("GSI3PK").eq(series_index_pk(form_number, series)) & Key("GSI3SK").lte(
            f"{day.isoformat()}#~"
        )
        answer = self._call(
            self._table.query,
            IndexName="GSI3",
            KeyConditionExpression=condition,
            ScanIndexForward=False,
            Limit=1,
        )
        return int(answer["Items"][0]["key"]["number"]) if answer["Items"] else 0

    def _allocate(self, draft: ReceiptDraft, subject: str, extra_items: Any) -> Receipt:
        for attempt in range(ALLOCATION_ATTEMPTS):
            guard = self._get(guard_pk(subject))
            if guard is not None:
                logger.info("receipt already issued", subject=subject)
                return self.require(_key_from(guard))

            last_number = self._last_number(draft.form_number, draft.series)
            if last_number >= MAX_NUMBER:
                raise RuleViolationError(
                    "The receipt series has no numbers left", series=draft.series
                )
            receipt = draft.numbered(last_number + 1)
            items = [
                self._counter_step(receipt.key, last_number),
                self._receipt_put(receipt),
                self._guard_put(subject, receipt.key),
                *extra_items(receipt),
                *self._dossier_pointer(receipt),
            ]

            if self._committed(items, subject):
                logger.info("receipt number allocated", receipt=receipt.key.provider_key)
                return receipt
            time.sleep(_jitter.uniform(0, 0.002 * (attempt + 1)))
        raise TransientError("Receipt numbering is congested", series=draft.series)

    def _committed(self, items: list[dict[str, Any]], subject: str) -> bool:
        """True when the transaction went through; False when another writer came first."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                _reraise(error)
            reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            if any(code == "ConditionalCheckFailed" for code in reasons[3:]):
                raise ConflictError(
                    "The original receipt is not in force", subject=subject
                ) from error
            return False
        return True

    def _last_number(self, form_number: str, series: str) -> int:
        item = self._get(sequence_pk(form_number, series))
        return int(item["last_number"]) if item else 0

    def _counter_step(self, key: ReceiptKey, last_number: int) -> dict[str, Any]:
        condition = "attribute_not_exists(last_number)"
        values: dict[str, Any] = {":next": key.number}
        if last_number:
            condition = "last_number = :expected"
            values[":expected"] = last_number
        return {
            "Update": {
                "TableName": self._table_name,
                "Key": _low_key(sequence_pk(key.form_number, key.series)),
                "UpdateExpression": "SET last_number = :next",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def _receipt_put(self, receipt: Receipt) -> dict[str, Any]:
        item = _item_of(receipt)
        return {
            "Put": {
                "TableName": self._table_name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _dossier_pointer(self, receipt: Receipt) -> list[dict[str, Any]]:
        if receipt.dossier_id is None:
            return []
        pointer = {
            "PK": dossier_pk(receipt.dossier_id),
            "SK": DOSSIER_RECEIPT,
            "entity": "dossier_receipt",
            **_key_attributes(receipt.key),
        }
        return [{"Put": {"TableName": self._table_name, "Item": pointer}}]

    def _guard_put(self, subject: str, key: ReceiptKey) -> dict[str, Any]:
        guard = {"PK": guard_pk(subject), "SK": META, **_key_attributes(key)}
        return {
            "Put": {
                "TableName": self._table_name,
                "Item": guard,
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _standing_change(
        self,
        key: ReceiptKey,
        status: ReceiptStatus,
        action: ReceiptAction,
        superseded_by: ReceiptKey | None,
    ) -> dict[str, Any]:
        field = "cancellation" if status is ReceiptStatus.CANCELLED else "correction"
        values = {
            ":status": status.value,
            ":action": action.model_dump(mode="json"),
            ":published": ReceiptStatus.PUBLISHED.value,
            ":allocated": ReceiptStatus.ALLOCATED.value,
        }
        update = f"SET #status = :status, {field} = :action"
        if superseded_by is not None:
            update += ", superseded_by = :superseded_by"
            values[":superseded_by"] = superseded_by.model_dump(mode="json")
        return {
            "Update": {
                "TableName": self._table_name,
                "Key": _low_key(receipt_pk(key)),
                "UpdateExpression": update,
                "ConditionExpression": "#status IN (:published, :allocated)",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": values,
            }
        }

    def _event(self, key: ReceiptKey, what: str, action: ReceiptAction) -> dict[str, Any]:
        event = {
            "PK": receipt_pk(key),
            "SK": f"EVENT#{action.at.isoformat()}#{what}",
            "action": what,
            "actor": action.actor,
            "reason": action.reason,
            "at": action.at.isoformat(),
        }
        return {
            "Put": {
                "TableName": self._table_name,
                "Item": event,
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _get(self, pk: str) -> dict[str, Any] | None:
        answer = self._call(self._table.get_item, Key={"PK": pk, "SK": META}, ConsistentRead=True)
        return answer.get("Item")

    def _call(self, operation: Any, **request: Any) -> dict[str, Any]:
        try:
            return operation(**request)
        except ClientError as error:
            _reraise(error)
        except BotoCoreError as error:
            raise TransientError("The table could not be reached") from error


def _item_of(receipt: Receipt) -> dict[str, Any]:
    item = receipt.model_dump(mode="json", exclude_none=True)
    item.update(
        PK=receipt_pk(receipt.key),
        SK=META,
        GSI3PK=series_index_pk(receipt.key.form_number, receipt.key.series),
        GSI3SK=f"{receipt.issue_date.isoformat()}#{receipt.key.number_text}",
    )
    return item


def _receipt_from(item: dict[str, Any]) -> Receipt:
    return Receipt.model_validate(item)


def _key_attributes(key: ReceiptKey) -> dict[str, Any]:
    return {"form_number": key.form_number, "series": key.series, "number": key.number}


def _key_from(guard: dict[str, Any]) -> ReceiptKey:
    return ReceiptKey(
        form_number=guard["form_number"], series=guard["series"], number=int(guard["number"])
    )


def _low_key(pk: str) -> dict[str, Any]:
    return {"PK": pk, "SK": META}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _reraise(error: ClientError) -> NoReturn:
    """Throttling becomes retryable; anything else is a fault of ours and stays as it is."""
    if _code(error) in _THROTTLING:
        raise TransientError("The table is throttling requests") from error
    raise error
