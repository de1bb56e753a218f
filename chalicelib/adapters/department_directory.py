"""Reads an issuing department's standing from the table: `DEPT#{code}` / `PROFILE`.

The record keeps `state`, `allowed_forms` and `fee_collection_live_from` as attributes; a
record written by the department registry (its profile as one JSON attribute `profile`, with
`fee_collection_from`) is read as well.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dossier_store import translate_client_error
from chalicelib.domain.department_standing import DepartmentStanding

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class TableDepartmentDirectory:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, code: str) -> DepartmentStanding | None:
        """The department's standing, or None when no such department is registered."""
        try:
            response = self._table.get_item(Key={"PK": f"DEPT#{code}", "SK": "PROFILE"})
        except ClientError as exc:
            raise translate_client_error(exc, "read department") from exc
        item = response.get("Item")
        if item is None:
            return None
        return DepartmentStanding.of(code, _attributes(item), _profile(item))


def _attributes(item: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(item.get("profile"), str):
        return item
    profile = json.loads(item["profile"])
    return {**profile, "fee_collection_live_from": profile.get("fee_collection_from")}


def _profile(item: dict[str, Any]) -> Any:
    from chalicelib.adapters.department_store import department_from_item

    return department_from_item(item) if isinstance(item.get("profile"), str) else None
