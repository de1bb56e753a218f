"""A table with the stage's schema on moto, for department tests."""

import uuid
from collections.abc import Iterator
from typing import Any

import boto3

from tests.isolated_aws import isolated_aws


def _key(name: str) -> list[dict[str, str]]:
    return [
        {"AttributeName": f"{name}PK", "KeyType": "HASH"},
        {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
    ]


def department_table() -> Iterator[Any]:
    """Yields a fresh table under moto; use it as a pytest fixture body."""
    with isolated_aws():
        dynamodb = boto3.resource("dynamodb", region_name="ap-southeast-1")
        attributes = ["PK", "SK"] + [f"GSI{n}{k}" for n in (1, 2, 3) for k in ("PK", "SK")]
        table = dynamodb.create_table(
            TableName=f"coissuer-test-{uuid.uuid4().hex[:8]}",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=_key(""),
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attributes],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": f"GSI{n}",
                    "KeySchema": _key(f"GSI{n}"),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for n in (1, 2, 3)
            ],
        )
        try:
            yield table
        finally:
            # Under the shared test stack this mock is nested and keeps its state.
            table.delete()
