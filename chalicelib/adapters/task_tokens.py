"""Task tokens of a dossier's waiting workflow steps, kept beside the dossier's state.

Tokens live in their own attributes of `DOSSIER#{id}`/`META` (never in the dossier document
that the API returns), one per step, written only while the dossier is in a status that
still waits for that step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dossier_store import META, dossier_pk, translate_client_error


class TaskTokens:
    def __init__(self, table: Any) -> None:
        self._table = table

    def keep(self, dossier_id: str, step: str, token: str, statuses: Iterable[str]) -> bool:
        """Store the step's token if the dossier is in one of `statuses`; False otherwise."""
        allowed = list(statuses)
        values: dict[str, Any] = {":token": token}
        values.update({f":s{i}": status for i, status in enumerate(allowed)})
        placeholders = ", ".join(f":s{i}" for i in range(len(allowed)))
        try:
            self._table.update_item(
                Key={"PK": dossier_pk(dossier_id), "SK": META},
                UpdateExpression="SET #token = :token",
                ConditionExpression=f"#status IN ({placeholders})",
                ExpressionAttributeNames={"#token": _attribute(step), "#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise translate_client_error(exc, "keep task token") from exc
        return True

    def token_for(self, dossier_id: str, step: str) -> str | None:
        try:
            item = self._table.get_item(
                Key={"PK": dossier_pk(dossier_id), "SK": META},
                ProjectionExpression="#token",
                ExpressionAttributeNames={"#token": _attribute(step)},
            ).get("Item")
        except ClientError as exc:
            raise translate_client_error(exc, "read task token") from exc
        return str(item[_attribute(step)]) if item and _attribute(step) in item else None


def _attribute(step: str) -> str:
    return f"task_token_{step}"
