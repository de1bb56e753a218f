"""Idempotency records for `POST` routes that create: `IDEMP#{principal}#{key}` / `RECORD`.

The first request under a key claims the record (in progress), then stores its response for
24 hours (DynamoDB TTL on `expires_at` removes it later; until then an expired record is
treated as absent). A retry gets the stored response; the same key with another body is
refused; a retry while the first request still runs is a conflict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dossier_store import translate_client_error
from chalicelib.domain.errors import ConflictError, ValidationFailedError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

RETENTION = timedelta(hours=24)
# A claim older than this belongs to a request that died; a new attempt may take it over.
IN_PROGRESS_TIMEOUT = timedelta(seconds=60)
RECORD = "RECORD"


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


def record_pk(principal: str, key: str) -> str:
    return f"IDEMP#{principal}#{key}"


class IdempotencyStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def claim(
        self, principal: str, key: str, request_hash: str, now: datetime
    ) -> StoredResponse | None:
        """Claim the key, or return the first response when it completed before."""
        epoch = int(now.timestamp())
        item = {
            "PK": record_pk(principal, key),
            "SK": RECORD,
            "entity": "idempotency",
            "request_hash": request_hash,
            "state": "in_progress",
            "claimed_until": int((now + IN_PROGRESS_TIMEOUT).timestamp()),
            "expires_at": int((now + RETENTION).timestamp()),
        }
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression=(
                    "attribute_not_exists(PK) OR expires_at < :now "
                    "OR (#state = :running AND claimed_until < :now)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":now": epoch, ":running": "in_progress"},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise translate_client_error(exc, "claim idempotency key") from exc
            return self._earlier(exc.response.get("Item", {}), request_hash)
        return None

    def complete(self, principal: str, key: str, response: StoredResponse) -> None:
        self._table.update_item(
            Key={"PK": record_pk(principal, key), "SK": RECORD},
            UpdateExpression="SET #state = :done, status_code = :code, response_body = :body",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":done": "done",
                ":code": response.status_code,
                ":body": json.dumps(response.body),
            },
        )

    def release(self, principal: str, key: str) -> None:
        """Forget a claim whose request failed, so that a retry runs again."""
        self._table.delete_item(Key={"PK": record_pk(principal, key), "SK": RECORD})

    @staticmethod
    def _earlier(item: dict[str, Any], request_hash: str) -> StoredResponse:
        stored = {k: next(iter(v.values())) for k, v in item.items()}
        if stored.get("request_hash") != request_hash:
            raise ValidationFailedError(
                "This Idempotency-Key was used with a different request body"
            )
        if stored.get("state") != "done":
            raise ConflictError("The first request with this Idempotency-Key is still running")
        return StoredResponse(int(stored["status_code"]), json.loads(stored["response_body"]))
