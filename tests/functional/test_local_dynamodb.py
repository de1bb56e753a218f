"""The local stack's DynamoDB applies a transaction as one step, to writers and readers alike."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tools.local_stack import REGION, atomic_dynamodb_writes

ROUNDS = 150
KEYS = [f"item-{n:02d}" for n in range(25)]  # as many as one transaction takes


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws(), atomic_dynamodb_writes():
        resource = boto3.resource("dynamodb", region_name=REGION)
        created = resource.create_table(
            TableName="pairs",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for key in KEYS:
            created.put_item(Item={"PK": key, "version": 0})
        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # threads take turns often, as a busy stack's do
        try:
            yield created
        finally:
            sys.setswitchinterval(switch)


def test_a_reader_never_sees_half_of_a_transaction(table: Any) -> None:
    # given a writer moving 25 items to each new version in one transaction
    client = table.meta.client

    def write() -> None:
        for version in range(1, ROUNDS + 1):
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "pairs", "Item": {"PK": key, "version": version}}}
                    for key in KEYS
                ]
            )

    # when a reader reads the first item, then the last, while the writer runs
    torn: list[tuple[int, int]] = []
    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive():
        first = table.get_item(Key={"PK": KEYS[0]})["Item"]["version"]
        last = table.get_item(Key={"PK": KEYS[-1]})["Item"]["version"]
        if last < first:
            torn.append((int(first), int(last)))
    writer.join()

    # then the last was never older than the first it was read after
    assert torn == []
    assert table.get_item(Key={"PK": KEYS[-1]})["Item"]["version"] == ROUNDS
