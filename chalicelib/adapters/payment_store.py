"""Payment orders and bank transactions in the stage's DynamoDB table.

Items:

- `PAYREF#{ref}` / `ORDER`: the payment order (unique reference, points to its dossier);
  every change is a put conditioned on the version read.
- `DOSSIER#{id}` / `PAYMENT`: the dossier's pointer to its payment reference, written once.
- `FEEACCOUNT#{bin}#{number}` / `ACCOUNT`: which department a fee account belongs to, so a
  credit with no readable reference still reaches that department's suspense list.
- `BANKTXN#{bank}#{txn_id}` / `BANKTXN`: every bank event with its raw body and outcome,
  written only if absent: the bank's transaction id is the idempotency key. Credits and
  flagged reversals carry `GSI3PK = PAYMENTS#{department}`,
  `GSI3SK = {Vietnam day of booking}#{bank}#{txn_id}`; events held for operations carry
  `GSI3PK = SUSPENSE#{department}`, `GSI3SK = {received_at}#{bank}#{txn_id}`.
- `BANKTXN#{bank}#{original_txn_id}` / `REVERSAL`: a reversal that arrived before the credit
  it undoes; the credit, when it comes, finds it through a condition of its own transaction.
- `DOSSIER#{id}` / `EVENT#{time}#{seq}#pay-{bank}-{txn_id}`: a suspense assignment, a history
  event of the dossier (its `document`) with the bank event's fields beside it.

Recording a bank event and applying it to its order is one TransactWriteItems, so a callback
costs one GetItem of the order and one transaction; a repeat learns the stored outcome from
the cancellation itself (ReturnValuesOnConditionCheckFailure).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from chalicelib.adapters.dossier_store import event_sk
from chalicelib.domain.dossiers import HistoryEvent, Status
from chalicelib.domain.errors import (
    ConflictError,
    NotFoundError,
    RuleViolationError,
    TransientError,
)
from chalicelib.domain.fees import VIETNAM
from chalicelib.domain.payments import (
    BankTransaction,
    EventKind,
    Outcome,
    PaymentOrder,
    Recorded,
    ReversalArrivedFirstError,
    SuspenseReason,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

ORDER_SK = "ORDER"
POINTER_SK = "PAYMENT"
ACCOUNT_SK = "ACCOUNT"
BANKTXN_SK = "BANKTXN"
REVERSAL_SK = "REVERSAL"
_TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
}
_DESERIALIZER = TypeDeserializer()


class PaymentStore:
    def __init__(self, table: Table) -> None:
        self._table = table
        self._client = table.meta.client
        self._table_name = table.name

    def create_order(self, order: PaymentOrder) -> PaymentOrder:
        """Store a new order, or return the dossier's existing one (never charged twice)."""
        items = [
            _put(self._table_name, _order_item(order), "attribute_not_exists(PK)"),
            _put(self._table_name, _pointer_item(order), "attribute_not_exists(PK)"),
            _put(
                self._table_name,
                _account_item(order),
                "attribute_not_exists(PK) OR department = :department",
                {":department": order.department},
            ),
        ]
        reasons = self._transact(items)
        if reasons is None:
            return order
        if reasons[1] == "ConditionalCheckFailed":
            existing = self.order_for_dossier(order.dossier_id)
            if existing is not None:
                return existing
        if reasons[2] == "ConditionalCheckFailed":
            raise RuleViolationError(
                "The fee account is registered to another department",
                department=order.department,
            )
        raise ConflictError(
            "The payment reference is already taken", payment_reference=order.payment_reference
        )

    def order(self, payment_reference: str) -> PaymentOrder | None:
        item = self._get(_order_key(payment_reference))
        return None if item is None else _order_from(item)

    def order_for_dossier(self, dossier_id: str) -> PaymentOrder | None:
        pointer = self._get({"PK": f"DOSSIER#{dossier_id}", "SK": POINTER_SK})
        return None if pointer is None else self.order(pointer["payment_reference"])

    def find_orders(self, payment_references: list[str]) -> list[PaymentOrder]:
        """The stored orders among these references, in the order given."""
        if len(payment_references) <= 1:
            found = [self.order(ref) for ref in payment_references]
            return [order for order in found if order is not None]
        keys = [_order_key(ref) for ref in payment_references[:100]]
        response = self._call(
            self._client.batch_get_item,
            RequestItems={self._table_name: {"Keys": keys, "ConsistentRead": True}},
        )
        if response.get("UnprocessedKeys"):
            raise TransientError("The table is busy; try again", reason="unprocessed_keys")
        orders = {
            order.payment_reference: order
            for order in (
                _order_from(item) for item in response["Responses"].get(self._table_name, [])
            )
        }
        return [orders[ref] for ref in payment_references if ref in orders]

    def department_for_account(self, bank_bin: str, account_number: str) -> str | None:
        item = self._get({"PK": f"FEEACCOUNT#{bank_bin}#{account_number}", "SK": ACCOUNT_SK})
        return None if item is None else str(item["department"])

    def bank_transaction(self, bank: str, txn_id: str) -> BankTransaction | None:
        item = self._get(_banktxn_key(bank, txn_id))
        return None if item is None else _transaction_from(item)

    def record(self, transaction: BankTransaction, updated_order: PaymentOrder | None) -> Recorded:
        """Store a bank event once and, in the same transaction, the order it changed.

        ConflictError when the order changed since it was read: read again and decide again.
        ReversalArrivedFirstError when a credit's reversal is already held: nothing is written.
        """
        items = [_put(self._table_name, _transaction_item(transaction), "attribute_not_exists(PK)")]
        if updated_order is not None:
            items.append(_versioned_put(self._table_name, updated_order))
        if _awaits_its_original(transaction):
            items.append(_put(self._table_name, _reversal_marker(transaction), None))
            # A credit stored since the reversal was decided: decide again, to link them.
            items.append(self._not_credited(transaction.bank, str(transaction.original_txn_id)))
        if transaction.credited:
            items.append(_absent(self._table_name, _reversal_key(transaction)))
        reasons = self._transact(items, return_old=True)
        if reasons is None:
            return Recorded(transaction, duplicate=False)
        if isinstance(reasons[0], dict):
            return Recorded(_transaction_from(_deserialize(reasons[0])), duplicate=True)
        if transaction.credited and reasons[-1] == "ConditionalCheckFailed":
            raise ReversalArrivedFirstError(
                "The credit was reversed before it arrived", txn_id=transaction.txn_id
            )
        raise ConflictError("The payment order changed meanwhile", reason="stale_order")

    def _not_credited(self, bank: str, txn_id: str) -> dict[str, Any]:
        credited = [Outcome.PAID, Outcome.PARTIAL, Outcome.OVERPAID]
        check = {
            "TableName": self._table_name,
            "Key": _banktxn_key(bank, txn_id),
            "ConditionExpression": "attribute_not_exists(PK) OR NOT outcome IN (:a, :b, :c)",
            "ExpressionAttributeValues": {
                f":{name}": outcome.value for name, outcome in zip("abc", credited, strict=True)
            },
        }
        return {"ConditionCheck": check}

    def earlier_reversal(self, credit: BankTransaction) -> BankTransaction | None:
        """The held reversal of this credit that arrived before it, if any."""
        marker = self._get(_reversal_key(credit))
        if marker is None:
            return None
        return self.bank_transaction(credit.bank, str(marker["reversal_txn_id"]))

    def record_with_earlier_reversal(
        self, credit: BankTransaction, updated_order: PaymentOrder, reversal: BankTransaction
    ) -> Recorded:
        """Store a credit, the order it and its earlier reversal changed, and link the
        reversal to that order, in one transaction."""
        items = [
            _put(self._table_name, _transaction_item(credit), "attribute_not_exists(PK)"),
            _versioned_put(self._table_name, updated_order),
            _put(
                self._table_name,
                _transaction_item(reversal),
                "outcome = :suspense",
                {":suspense": Outcome.SUSPENSE.value},
            ),
            {
                "Delete": {
                    "TableName": self._table_name,
                    "Key": _reversal_key(credit),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
        ]
        reasons = self._transact(items, return_old=True)
        if reasons is None:
            return Recorded(credit, duplicate=False)
        if isinstance(reasons[0], dict):
            return Recorded(_transaction_from(_deserialize(reasons[0])), duplicate=True)
        raise ConflictError("The payment order or the reversal changed meanwhile")

    def save_order(self, order: PaymentOrder) -> PaymentOrder:
        """Store a new state of an order, conditioned on the version it was read at."""
        reasons = self._transact([_versioned_put(self._table_name, order)])
        if reasons is not None:
            raise ConflictError("The payment order changed meanwhile", reason="stale_order")
        return order

    def suspense(
        self, department: str, limit: int = 50, after: str | None = None
    ) -> tuple[list[BankTransaction], str | None]:
        """Events held for operations, oldest first, and the cursor of the next page."""
        query: dict[str, Any] = {
            "IndexName": "GSI3",
            "KeyConditionExpression": Key("GSI3PK").eq(f"SUSPENSE#{department}"),
            "Limit": limit,
        }
        if after:
            query["KeyConditionExpression"] &= Key("GSI3SK").gt(after)
        response = self._call(self._table.query, **query)
        transactions = [_transaction_from(item) for item in response["Items"]]
        cursor = response.get("LastEvaluatedKey", {}).get("GSI3SK")
        return transactions, cursor

    def payments_on(self, department: str, day: date) -> list[BankTransaction]:
        """The department's recorded credits and reversals booked on that Vietnam day."""
        condition = Key("GSI3PK").eq(f"PAYMENTS#{department}") & Key("GSI3SK").begins_with(
            f"{day.isoformat()}#"
        )
        query: dict[str, Any] = {"IndexName": "GSI3", "KeyConditionExpression": condition}
        transactions: list[BankTransaction] = []
        while True:
            response = self._call(self._table.query, **query)
            transactions += [_transaction_from(item) for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return transactions
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def dossier_standing(self, dossier_id: str) -> tuple[Status, int] | None:
        """The dossier's status and version, or None when there is no such dossier."""
        response = self._call(
            self._table.get_item,
            Key={"PK": f"DOSSIER#{dossier_id}", "SK": "META"},
            ProjectionExpression="#status, #version",
            ExpressionAttributeNames={"#status": "status", "#version": "version"},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return None if item is None else (Status(item["status"]), int(item["version"]))

    def assign(
        self,
        held: BankTransaction,
        resolved: BankTransaction,
        updated_order: PaymentOrder,
        event: HistoryEvent,
    ) -> None:
        """Apply a held event to an order, once, with a history event on the dossier."""
        audit = {
            "PK": f"DOSSIER#{event.dossier_id}",
            # After the events of the version it saw, and unique to the bank event.
            "SK": f"{event_sk(event)}#pay-{held.bank}-{held.txn_id}",
            "entity": "dossier_event",
            "document": event.model_dump_json(),
            "action": "payment_assigned",
            "actor": event.actor,
            "at": event.at.isoformat(),
            "bank": held.bank,
            "txn_id": held.txn_id,
            "amount": held.amount,
            "payment_reference": updated_order.payment_reference,
            "outcome": resolved.outcome.value,
        }
        items = [
            _put(
                self._table_name,
                _transaction_item(resolved),
                "outcome = :suspense AND attribute_not_exists(assigned_by)",
                {":suspense": Outcome.SUSPENSE.value},
            ),
            _versioned_put(self._table_name, updated_order),
            _put(self._table_name, audit, "attribute_not_exists(PK)"),
        ]
        if self._transact(items) is not None:
            raise ConflictError(
                "The suspense item or the order changed meanwhile", txn_id=held.txn_id
            )

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        response = self._call(self._table.get_item, Key=key, ConsistentRead=True)
        return response.get("Item")

    def _transact(self, items: list[dict[str, Any]], return_old: bool = False) -> list[Any] | None:
        """None on success; else per item its failure code, or the old item when asked for."""
        if return_old:
            items[0][next(iter(items[0]))]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise _translated(error) from error
            return _cancellation(error)
        return None

    def _call(self, operation: Any, **kwargs: Any) -> Any:
        try:
            return operation(**kwargs)
        except ClientError as error:
            raise _translated(error) from error


def _cancellation(error: ClientError) -> list[Any]:
    reasons = error.response.get("CancellationReasons", [])
    if any(reason.get("Code") in _TRANSIENT_CODES for reason in reasons):
        raise TransientError("The table is busy; try again") from error
    return [reason.get("Item") or reason.get("Code", "None") for reason in reasons]


def _translated(error: ClientError) -> Exception:
    code = error.response["Error"]["Code"]
    if code in _TRANSIENT_CODES:
        return TransientError("The table is busy; try again", code=code)
    if code == "ResourceNotFoundException":
        return NotFoundError("The table does not exist", code=code)
    return error


def _put(
    table_name: str,
    item: dict[str, Any],
    condition: str | None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table_name, "Item": item}
    if condition:
        put["ConditionExpression"] = condition
    if values:
        put["ExpressionAttributeValues"] = values
    return {"Put": put}


def _absent(table_name: str, key: dict[str, str]) -> dict[str, Any]:
    check = {"TableName": table_name, "Key": key, "ConditionExpression": "attribute_not_exists(PK)"}
    return {"ConditionCheck": check}


def _awaits_its_original(transaction: BankTransaction) -> bool:
    return (
        transaction.kind is EventKind.REVERSAL
        and transaction.suspense_reason is SuspenseReason.UNKNOWN_ORIGINAL
        and transaction.original_txn_id is not None
    )


def _reversal_key(credit: BankTransaction) -> dict[str, str]:
    return {"PK": f"BANKTXN#{credit.bank}#{credit.txn_id}", "SK": REVERSAL_SK}


def _reversal_marker(reversal: BankTransaction) -> dict[str, str]:
    # NOTE: a second reversal of the same unseen credit replaces the first here; the first
    # stays in suspense for operations (banks reverse a credit once).
    return {
        "PK": f"BANKTXN#{reversal.bank}#{reversal.original_txn_id}",
        "SK": REVERSAL_SK,
        "reversal_txn_id": reversal.txn_id,
    }


def _versioned_put(table_name: str, order: PaymentOrder) -> dict[str, Any]:
    # The order carries its new version; the write holds only if nobody wrote since reading.
    put = _put(
        table_name,
        _order_item(order),
        "#version = :read_version",
        {":read_version": order.version - 1},
    )
    put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
    return put


def _order_key(payment_reference: str) -> dict[str, str]:
    return {"PK": f"PAYREF#{payment_reference}", "SK": ORDER_SK}


def _banktxn_key(bank: str, txn_id: str) -> dict[str, str]:
    return {"PK": f"BANKTXN#{bank}#{txn_id}", "SK": BANKTXN_SK}


def _order_item(order: PaymentOrder) -> dict[str, Any]:
    return {**_order_key(order.payment_reference), **_without_none(order.model_dump(mode="json"))}


def _pointer_item(order: PaymentOrder) -> dict[str, Any]:
    return {
        "PK": f"DOSSIER#{order.dossier_id}",
        "SK": POINTER_SK,
        "payment_reference": order.payment_reference,
    }


def _account_item(order: PaymentOrder) -> dict[str, Any]:
    return {
        "PK": f"FEEACCOUNT#{order.account.bank_bin}#{order.account.account_number}",
        "SK": ACCOUNT_SK,
        "department": order.department,
    }


def _transaction_item(transaction: BankTransaction) -> dict[str, Any]:
    item = {
        **_banktxn_key(transaction.bank, transaction.txn_id),
        **_without_none(transaction.model_dump(mode="json")),
    }
    return item | _gsi3(transaction)


def _gsi3(transaction: BankTransaction) -> dict[str, str]:
    suffix = f"{transaction.bank}#{transaction.txn_id}"
    if transaction.outcome is Outcome.SUSPENSE:
        return {
            "GSI3PK": f"SUSPENSE#{transaction.department}",
            "GSI3SK": f"{transaction.received_at.isoformat()}#{suffix}",
        }
    if transaction.credited or transaction.outcome is Outcome.REVERSAL_FLAGGED:
        day = transaction.booked_at.astimezone(VIETNAM).date().isoformat()
        return {"GSI3PK": f"PAYMENTS#{transaction.department}", "GSI3SK": f"{day}#{suffix}"}
    return {}


def _order_from(item: dict[str, Any]) -> PaymentOrder:
    return PaymentOrder.model_validate(_fields_of(item))


def _transaction_from(item: dict[str, Any]) -> BankTransaction:
    return BankTransaction.model_validate(_fields_of(item))


def _fields_of(item: dict[str, Any]) -> dict[str, Any]:
    keys = {"PK", "SK", "GSI3PK", "GSI3SK"}
    return {name: _plain(value) for name, value in item.items() if name not in keys}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {name: _plain(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


def _without_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _deserialize(item: dict[str, Any]) -> dict[str, Any]:
    # Cancellation reasons escape the resource's automatic conversion of attribute values.
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}
