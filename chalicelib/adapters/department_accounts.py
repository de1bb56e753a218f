"""The departments' fee accounts and states, read from their profiles in the table.

Reads the department profile as the department registry stores it (`DEPT#{code}` /
`PROFILE`, parsed by the registry's own store) and its directory keys
`GSI2PK = DEPARTMENTS`, `GSI2SK = {state}#{code}`.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.statement_formats.bank_csv import CsvProfile, profile_for_bank
from chalicelib.domain.errors import TransientError


class TableDepartmentAccounts:
    def __init__(self, table: Any) -> None:
        self._table = table

    def fee_account(self, department: str) -> str | None:
        item = self._call(
            self._table.get_item, Key={"PK": f"DEPT#{department}", "SK": "PROFILE"}
        ).get("Item")
        if not item or not isinstance(item.get("profile"), str):
            return None
        from chalicelib.adapters.department_store import department_from_item

        account = department_from_item(item).fee_account
        return account.account_number if account else None

    def live_departments(self) -> list[str]:
        from boto3.dynamodb.conditions import Key

        query: dict[str, Any] = {
            "IndexName": "GSI2",
            "KeyConditionExpression": Key("GSI2PK").eq("DEPARTMENTS")
            & Key("GSI2SK").begins_with("live#"),
            "ProjectionExpression": "GSI2SK",
        }
        codes: list[str] = []
        while True:
            page = self._call(self._table.query, **query)
            codes += [item["GSI2SK"].split("#", 1)[1] for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return codes
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def csv_profile(self, bank: str) -> CsvProfile | None:
        return profile_for_bank(bank)

    def _call(self, operation: Any, **arguments: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return operation(**arguments)
        except (ClientError, BotoCoreError) as error:
            raise TransientError("department profiles could not be read") from error
