"""Departments in the stage's DynamoDB table.

Items:
- `DEPT#{code}` / `PROFILE`: the department, with `version` for conditional writes and
  `GSI2PK = DEPARTMENTS`, `GSI2SK = {state}#{code}` so that all departments, or the live ones,
  are one Query on GSI2.
- `DEPT#{code}` / `EVENT#{time}#{version}`: append-only audit of every change.
- `ISSUER#{issuer_code}` / `CLAIM`: keeps issuer codes unique, since reference numbers
  carry them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.domain.departments import Department, DepartmentEvent, DepartmentState
from chalicelib.domain.errors import ConflictError, NotFoundError, TransientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DIRECTORY_KEY = "DEPARTMENTS"
_GSI = "GSI2"
_RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "TransactionConflictException",
    }
)


class DepartmentStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, code: str) -> Department:
        response = self._call(self._table.get_item, Key=_profile_key(code), ConsistentRead=True)
        if "Item" not in response:
            raise NotFoundError(f"No department {code}", department=code)
        return department_from_item(response["Item"])

    def find(self, code: str) -> Department | None:
        try:
            return self.get(code)
        except NotFoundError:
            return None

    def create(self, department: Department, event: DepartmentEvent) -> None:
        """Store a new department and claim its issuer code, or ConflictError."""
        writes = [
            _put(profile_item(department), "attribute_not_exists(PK)"),
            _put(_event_item(event), "attribute_not_exists(PK)"),
            _claim(department),
        ]
        self._transact(writes, f"Department {department.code} exists or issuer code is taken")

    def save(self, department: Department, previous: Department, event: DepartmentEvent) -> None:
        """Replace `previous` with `department` (one version later), or ConflictError."""
        writes = [
            _put(
                profile_item(department),
                "#version = :expected",
                names={"#version": "version"},
                values={":expected": previous.version},
            ),
            _put(_event_item(event), "attribute_not_exists(PK)"),
        ]
        if department.issuer_code != previous.issuer_code:
            writes += [_claim(department), _release(previous)]
        self._transact(writes, f"Department {department.code} changed meanwhile")

    def list_all(self) -> list[Department]:
        return self._query_directory(Key("GSI2PK").eq(DIRECTORY_KEY))

    def list_in_state(self, state: DepartmentState) -> list[Department]:
        condition = Key("GSI2PK").eq(DIRECTORY_KEY) & Key("GSI2SK").begins_with(f"{state}#")
        return self._query_directory(condition)

    def events(self, code: str) -> list[DepartmentEvent]:
        condition = Key("PK").eq(f"DEPT#{code}") & Key("SK").begins_with("EVENT#")
        items = self._query(KeyConditionExpression=condition)
        return [DepartmentEvent.model_validate_json(item["event"]) for item in items]

    def _query_directory(self, condition: Any) -> list[Department]:
        items = self._query(IndexName=_GSI, KeyConditionExpression=condition)
        return [department_from_item(item) for item in items]

    def _query(self, **arguments: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self._call(self._table.query, **arguments)
            items += response["Items"]
            if "LastEvaluatedKey" not in response:
                return items
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _transact(self, writes: list[dict[str, Any]], conflict: str) -> None:
        client = self._table.meta.client
        # The table resource's client takes plain Python values, as the resource does.
        addressed = [
            {kind: {"TableName": self._table.name, **body}}
            for write in writes
            for kind, body in write.items()
        ]
        try:
            client.transact_write_items(TransactItems=addressed)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise ConflictError(conflict) from error
            raise _translated(error) from error

    def _call(self, operation: Any, **arguments: Any) -> Any:
        try:
            return operation(**arguments)
        except ClientError as error:
            raise _translated(error) from error


class DepartmentRecords:
    """Departments as the dossier service reads them: one plain mapping, or None."""

    def __init__(self, store: DepartmentStore) -> None:
        self._store = store

    def get(self, code: str) -> Mapping[str, Any] | None:
        department = self._store.find(code)
        return None if department is None else department.model_dump(mode="json")


def _translated(error: ClientError) -> Exception:
    code = error.response["Error"]["Code"]
    if code in _RETRYABLE:
        return TransientError(f"DynamoDB is busy ({code})")
    return error


def _profile_key(code: str) -> dict[str, str]:
    return {"PK": f"DEPT#{code}", "SK": "PROFILE"}


def profile_item(department: Department) -> dict[str, Any]:
    return {
        **_profile_key(department.code),
        "GSI2PK": DIRECTORY_KEY,
        "GSI2SK": f"{department.state}#{department.code}",
        "version": department.version,
        "state": department.state.value,
        "issuer_code": department.issuer_code,
        # One JSON attribute rather than a nested map: read and written whole, and cheaper
        # to (de)serialise than a deep map.
        "profile": department.model_dump_json(exclude={"version"}),
    }


def _event_item(event: DepartmentEvent) -> dict[str, Any]:
    return {
        "PK": f"DEPT#{event.department}",
        "SK": f"EVENT#{event.at.isoformat()}#{event.version:08d}",
        "event": event.model_dump_json(),
    }


def department_from_item(item: dict[str, Any]) -> Department:
    department = Department.model_validate_json(item["profile"])
    return department.model_copy(update={"version": int(item["version"])})


def _put(
    item: dict[str, Any],
    condition: str,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    put: dict[str, Any] = {"Item": item, "ConditionExpression": condition}
    if names:
        put["ExpressionAttributeNames"] = names
    if values:
        put["ExpressionAttributeValues"] = values
    return {"Put": put}


def _claim(department: Department) -> dict[str, Any]:
    """Claims the issuer code; a repeated claim by the same department is harmless."""
    return _put(
        {**_claim_key(department.issuer_code), "department": department.code},
        "attribute_not_exists(PK) OR department = :code",
        values={":code": department.code},
    )


def _release(department: Department) -> dict[str, Any]:
    return {
        "Delete": {
            "Key": _claim_key(department.issuer_code),
            "ConditionExpression": "department = :code",
            "ExpressionAttributeValues": {":code": department.code},
        }
    }


def _claim_key(issuer_code: str) -> dict[str, str]:
    return {"PK": f"ISSUER#{issuer_code}", "SK": "CLAIM"}
