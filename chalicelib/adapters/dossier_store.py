"""DynamoDB repository for trader profiles, dossiers and their history.

Items (one table per stage):
- `TRADER#{tax_code}` / `PROFILE`
- `DOSSIER#{id}` / `META`, with `GSI1PK=TRADER#{tax_code}`, `GSI1SK={created_at}#{id}` (a
  trader's dossiers, newest first) and, once submitted, `GSI2PK=DEPT#{code}#STATUS#{status}`,
  `GSI2SK={due or updated time}#{id}` (work queues)
- `DOSSIER#{id}` / `EVENT#{time}#{seq}`: one per transition, written in the same transaction
  as the conditional update of status and version.
The dossier's content is kept as a JSON document; status, version and keys are attributes
so conditions and indexes can use them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.domain.dossiers import Dossier, HistoryEvent, Status
from chalicelib.domain.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    StaleVersionError,
    TransientError,
)
from chalicelib.domain.traders import TraderProfile

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# A filtered listing reads this many dossiers a query, and at most so many queries a page.
FILTERED_BATCH = 100
FILTERED_QUERIES_PER_PAGE = 4
META = "META"
PROFILE = "PROFILE"
EVENT_PREFIX = "EVENT#"
_THROTTLING = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
}


def dossier_pk(dossier_id: str) -> str:
    return f"DOSSIER#{dossier_id}"


def trader_pk(tax_code: str) -> str:
    return f"TRADER#{tax_code}"


def event_sk(event: HistoryEvent) -> str:
    return f"{EVENT_PREFIX}{event.at.isoformat()}#{event.seq:06d}"


def queue_pk(department_code: str, status: Status) -> str:
    return f"DEPT#{department_code}#STATUS#{status.value}"


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError) as exc:
        raise BadRequestError("The cursor is not one this API returned") from exc
    if not isinstance(key, dict) or not all(isinstance(v, str) for v in key.values()):
        raise BadRequestError("The cursor is not one this API returned")
    return key


def translate_client_error(exc: ClientError, what: str) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    if code in _THROTTLING or code == "InternalServerError":
        return TransientError(f"The table is busy ({what}); retry")
    return exc


class DossierStore:
    def __init__(self, table: Table, filtered_batch: int = FILTERED_BATCH) -> None:
        self._table = table
        self._client = table.meta.client
        self._name = table.name
        self._filtered_batch = filtered_batch

    # ---- traders -------------------------------------------------------------------------

    def get_trader(self, tax_code: str) -> TraderProfile | None:
        try:
            item = self._table.get_item(Key={"PK": trader_pk(tax_code), "SK": PROFILE}).get("Item")
        except ClientError as exc:
            raise translate_client_error(exc, "read trader") from exc
        return TraderProfile.model_validate_json(item["document"]) if item else None

    def save_trader(self, profile: TraderProfile) -> None:
        """Create (version 1) or replace the previous version; a lost race is a conflict."""
        item = {
            "PK": trader_pk(profile.tax_code),
            "SK": PROFILE,
            "entity": "trader",
            "version": profile.version,
            "document": profile.model_dump_json(),
        }
        if profile.version == 1:
            condition, values = "attribute_not_exists(PK)", {}
        else:
            condition, values = "version = :previous", {":previous": profile.version - 1}
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(
                    "The trader profile already exists or changed meanwhile",
                    tax_code=profile.tax_code,
                ) from exc
            raise translate_client_error(exc, "write trader") from exc

    # ---- dossiers ------------------------------------------------------------------------

    def create_dossier(self, dossier: Dossier, event: HistoryEvent) -> None:
        """Write a new dossier and its first event, only if the trader profile exists."""
        items = [
            {
                "Put": {
                    "TableName": self._name,
                    "Item": self._meta_item(dossier),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {"Put": {"TableName": self._name, "Item": self._event_item(event)}},
            {
                "ConditionCheck": {
                    "TableName": self._name,
                    "Key": {"PK": trader_pk(dossier.trader_tax_code), "SK": PROFILE},
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
        ]
        reasons = self._transact(items, "create dossier")
        if reasons and reasons[2] == "ConditionalCheckFailed":
            raise NotFoundError(
                "Register the trader profile before creating a dossier",
                tax_code=dossier.trader_tax_code,
            )
        if reasons:
            raise ConflictError("A dossier with this id exists", dossier_id=dossier.id)

    def get_dossier(self, dossier_id: str) -> Dossier | None:
        try:
            item = self._table.get_item(Key={"PK": dossier_pk(dossier_id), "SK": META}).get("Item")
        except ClientError as exc:
            raise translate_client_error(exc, "read dossier") from exc
        return self._dossier_of(item) if item else None

    def get_dossier_with_history(
        self, dossier_id: str
    ) -> tuple[Dossier, list[HistoryEvent]] | None:
        """The dossier and its events, oldest first, in one query (up to 1 MB of events)."""
        try:
            response = self._table.query(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": dossier_pk(dossier_id)},
            )
        except ClientError as exc:
            raise translate_client_error(exc, "read dossier") from exc

        items = response["Items"]
        meta = next((item for item in items if item["SK"] == META), None)
        if meta is None:
            return None
        events = [
            HistoryEvent.model_validate_json(item["document"])
            for item in items
            if item["SK"].startswith(EVENT_PREFIX)
        ]
        return self._dossier_of(meta), events

    def save_dossier(
        self,
        dossier: Dossier,
        expected_version: int,
        events: Sequence[HistoryEvent] = (),
        expected_status: Status | None = None,
    ) -> None:
        """Replace the dossier's state if it is still at `expected_version` (and, where given,
        `expected_status`), with its events."""
        update = self._meta_update(dossier, expected_version, expected_status)
        if not events:
            try:
                self._table.update_item(**update)
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    raise self._stale(dossier) from exc
                raise translate_client_error(exc, "update dossier") from exc
            return

        update["TableName"] = self._name
        items: list[dict[str, Any]] = [{"Update": update}]
        items += [{"Put": {"TableName": self._name, "Item": self._event_item(e)}} for e in events]
        if self._transact(items, "update dossier"):
            raise self._stale(dossier)

    def meta_update(
        self, dossier: Dossier, expected_version: int, expected_status: Status | None = None
    ) -> dict[str, Any]:
        """The conditional update that saves `dossier`, for another feature's transaction."""
        return self._meta_update(dossier, expected_version, expected_status)

    def event_item(self, event: HistoryEvent) -> dict[str, Any]:
        """A history event's item, for another feature's transaction."""
        return self._event_item(event)

    def list_by_trader(
        self,
        tax_code: str,
        limit: int,
        cursor: str | None = None,
        status: Status | None = None,
        form: str | None = None,
    ) -> tuple[list[Dossier], str | None]:
        """One page of a trader's dossiers, newest first.

        Filters apply to the dossiers read, so a filtered page reads on until it is full, up
        to FILTERED_QUERIES_PER_PAGE queries; a page cut short by that bound (even an empty
        one) carries the cursor that leads on.
        """
        filters, values, names = [], {":pk": trader_pk(tax_code)}, {}
        if status is not None:
            filters.append("#status = :status")
            values[":status"] = status.value
            names["#status"] = "status"
        if form is not None:
            filters.append("form = :form")
            values[":form"] = form
        query: dict[str, Any] = {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if names:
            query["ExpressionAttributeNames"] = names
        start = decode_cursor(cursor)
        if start:
            query["ExclusiveStartKey"] = start
        if not filters:
            return self._page(query)
        query["FilterExpression"] = " AND ".join(filters)
        query["Limit"] = self._filtered_batch
        return self._filled_page(query, limit, ("PK", "SK", "GSI1PK", "GSI1SK"))

    def list_queue(
        self, department_code: str, status: Status, limit: int, cursor: str | None = None
    ) -> tuple[list[Dossier], str | None]:
        """One page of a department's work queue for a status, oldest (or soonest due) first."""
        query: dict[str, Any] = {
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :pk",
            "ExpressionAttributeValues": {":pk": queue_pk(department_code, status)},
            "ScanIndexForward": True,
            "Limit": limit,
        }
        start = decode_cursor(cursor)
        if start:
            query["ExclusiveStartKey"] = start
        return self._page(query)

    # ---- internals -----------------------------------------------------------------------

    def _page(self, query: dict[str, Any]) -> tuple[list[Dossier], str | None]:
        response = self._query(query)
        dossiers = [self._dossier_of(item) for item in response["Items"]]
        return dossiers, encode_cursor(response.get("LastEvaluatedKey"))

    def _filled_page(
        self, query: dict[str, Any], limit: int, key_names: tuple[str, ...]
    ) -> tuple[list[Dossier], str | None]:
        """Up to `limit` matching items over a bounded number of filtered queries."""
        found: list[dict[str, Any]] = []
        last_key: dict[str, Any] | None = None
        for _ in range(FILTERED_QUERIES_PER_PAGE):
            response = self._query(query)
            room = limit - len(found)
            found += response["Items"][:room]
            last_key = response.get("LastEvaluatedKey")
            if len(response["Items"]) > room:
                # The page filled mid-batch: the next one starts after its last dossier.
                last_key = {name: found[-1][name] for name in key_names}
            if len(found) == limit or last_key is None:
                break
            query["ExclusiveStartKey"] = last_key
        return [self._dossier_of(item) for item in found], encode_cursor(last_key)

    def _query(self, query: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._table.query(**query)
        except ClientError as exc:
            raise translate_client_error(exc, "list dossiers") from exc

    def _transact(self, items: list[dict[str, Any]], what: str) -> list[str]:
        """Run a transaction; on a failed condition return each item's cancellation code."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise translate_client_error(exc, what) from exc
            reasons = exc.response.get("CancellationReasons", [])
            codes = [reason.get("Code", "None") for reason in reasons]
            if "ConditionalCheckFailed" not in codes:
                raise TransientError(f"The table refused the transaction ({what}); retry") from exc
            return codes
        return []

    @staticmethod
    def _stale(dossier: Dossier) -> ConflictError:
        return StaleVersionError(
            "The dossier changed meanwhile; read it again and retry", dossier_id=dossier.id
        )

    @staticmethod
    def _index_keys(dossier: Dossier) -> dict[str, str]:
        keys = {
            "GSI1PK": trader_pk(dossier.trader_tax_code),
            "GSI1SK": f"{dossier.created_at.isoformat()}#{dossier.id}",
        }
        if dossier.department_code and dossier.status != Status.DRAFT:
            keys["GSI2PK"] = queue_pk(dossier.department_code, dossier.status)
            # Work queues sort by the review deadline where there is one, else by age.
            ordered_by = dossier.review.due_at or dossier.updated_at
            keys["GSI2SK"] = f"{ordered_by.isoformat()}#{dossier.id}"
        return keys

    def _meta_item(self, dossier: Dossier) -> dict[str, Any]:
        return {
            "PK": dossier_pk(dossier.id),
            "SK": META,
            "entity": "dossier",
            "id": dossier.id,
            "status": dossier.status.value,
            "version": dossier.version,
            "form": dossier.form,
            "trader_tax_code": dossier.trader_tax_code,
            "document": dossier.model_dump_json(),
            **self._index_keys(dossier),
        }

    def _meta_update(
        self, dossier: Dossier, expected_version: int, expected_status: Status | None = None
    ) -> dict[str, Any]:
        """SET only this repository's attributes, so others kept on META survive."""
        attributes = {
            k: v for k, v in self._meta_item(dossier).items() if k not in ("PK", "SK", "entity")
        }
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        values = {f":v{i}": value for i, value in enumerate(attributes.values())}
        values[":expected"] = expected_version
        expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(attributes)))
        if "GSI2PK" not in attributes:
            names.update({"#q1": "GSI2PK", "#q2": "GSI2SK"})
            expression += " REMOVE #q1, #q2"
        names["#version"] = "version"
        condition = "#version = :expected"
        if expected_status is not None:
            # A transition is from one status: a write based on a stale read of it is refused.
            names["#status"] = "status"
            values[":expected_status"] = expected_status.value
            condition += " AND #status = :expected_status"
        return {
            "Key": {"PK": dossier_pk(dossier.id), "SK": META},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    @staticmethod
    def _event_item(event: HistoryEvent) -> dict[str, Any]:
        return {
            "PK": dossier_pk(event.dossier_id),
            "SK": event_sk(event),
            "entity": "dossier_event",
            "document": event.model_dump_json(),
        }

    @staticmethod
    def _dossier_of(item: dict[str, Any]) -> Dossier:
        dossier = Dossier.model_validate_json(item["document"])
        return dossier.model_copy(
            update={"status": Status(item["status"]), "version": int(item["version"])}
        )
