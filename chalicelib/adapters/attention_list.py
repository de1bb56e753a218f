"""The operations attention list: dossiers stopped at a failed step, and failed receipts.

A dossier whose workflow stopped is in the `needs_attention` work queue (GSI2). A receipt
failure does not stop review or signing, so the dossier keeps its status; a marker item
`DOSSIER#{id}` / `ATTENTION#receipt` puts it in the same queue, written and removed in one
transaction with the dossier's `receipt_attention`.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dossier_store import (
    DossierStore,
    decode_cursor,
    dossier_pk,
    encode_cursor,
    queue_pk,
    translate_client_error,
)
from chalicelib.domain.dossiers import Dossier, Status
from chalicelib.domain.errors import StaleVersionError, TransientError

RECEIPT_MARKER = "ATTENTION#receipt"


class AttentionList:
    def __init__(self, table: Any, dossiers: DossierStore) -> None:
        self._table = table
        self._client = table.meta.client
        self._name = table.name
        self._dossiers = dossiers

    def flag_receipt(self, before: Dossier, flagged: Dossier) -> None:
        """Save `flagged` (which carries `receipt_attention`) and list it for operations."""
        if flagged.department_code is None or flagged.receipt_attention is None:
            raise ValueError("Only a department's dossier with a receipt failure is listed")
        marker = {
            "PK": dossier_pk(flagged.id),
            "SK": RECEIPT_MARKER,
            "entity": "attention",
            "dossier_id": flagged.id,
            "GSI2PK": queue_pk(flagged.department_code, Status.NEEDS_ATTENTION),
            "GSI2SK": f"{flagged.receipt_attention.at.isoformat()}#{flagged.id}#receipt",
        }
        self._save_with(before, flagged, {"Put": {"TableName": self._name, "Item": marker}})

    def clear_receipt(self, before: Dossier, cleared: Dossier) -> None:
        """Save `cleared` (without `receipt_attention`) and take it off the list."""
        key = {"PK": dossier_pk(cleared.id), "SK": RECEIPT_MARKER}
        self._save_with(before, cleared, {"Delete": {"TableName": self._name, "Key": key}})

    def page(
        self, department_code: str, limit: int, cursor: str | None = None
    ) -> tuple[list[tuple[Dossier, str]], str | None]:
        """One page of (dossier, failed step), oldest first; `receipt` for a receipt failure."""
        query: dict[str, Any] = {
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :pk",
            "ExpressionAttributeValues": {":pk": queue_pk(department_code, Status.NEEDS_ATTENTION)},
            "ProjectionExpression": "PK, SK, GSI2PK, GSI2SK",
            "ScanIndexForward": True,
            "Limit": limit,
        }
        start = decode_cursor(cursor)
        if start:
            query["ExclusiveStartKey"] = start
        try:
            response = self._table.query(**query)
        except ClientError as exc:
            raise translate_client_error(exc, "list attention") from exc
        entries: list[tuple[Dossier, str]] = []
        # NOTE: one read per entry (at most `limit`); the list is short and read by operations.
        for item in response["Items"]:
            dossier = self._dossiers.get_dossier(item["PK"].removeprefix("DOSSIER#"))
            if dossier is None:
                continue
            if item["SK"] == RECEIPT_MARKER:
                entries.append((dossier, "receipt"))
            elif dossier.attention is not None:
                entries.append((dossier, dossier.attention.step))
        return entries, encode_cursor(response.get("LastEvaluatedKey"))

    def _save_with(self, before: Dossier, after: Dossier, marker: dict[str, Any]) -> None:
        update = self._dossiers.meta_update(after, before.version, before.status)
        update["TableName"] = self._name
        try:
            self._client.transact_write_items(TransactItems=[{"Update": update}, marker])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise translate_client_error(exc, "save attention") from exc
            codes = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                raise StaleVersionError(
                    "The dossier changed meanwhile; read it again and retry", dossier_id=after.id
                ) from exc
            raise TransientError("The table refused the transaction (attention); retry") from exc
