"""Fixtures for the certificate tests: a moto table and bucket with the project's schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.isolated_aws import isolated_aws

TABLE = "coissuer-test"
BUCKET = "coissuer-documents-test"


def _create_table(dynamodb: Any) -> Any:
    indexes = [
        {"IndexName": name, "KeySchema": [{"AttributeName": f"{name}PK", "KeyType": "HASH"},
                                          {"AttributeName": f"{name}SK", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "ALL"}}
        for name in ("GSI1", "GSI2", "GSI3")
    ]  # fmt: skip
    attributes = [{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")] + [
        {"AttributeName": f"{g}{k}", "AttributeType": "S"}
        for g in ("GSI1", "GSI2", "GSI3")
        for k in ("PK", "SK")
    ]
    return dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                   {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=attributes,
        GlobalSecondaryIndexes=indexes,
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip


@pytest.fixture
def aws() -> Iterator[None]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with isolated_aws():
        yield


@pytest.fixture
def table(aws: None) -> Any:
    return _create_table(boto3.resource("dynamodb", region_name="ap-southeast-1"))


@pytest.fixture
def s3(aws: None) -> Any:
    client = boto3.client("s3", region_name="ap-southeast-1")
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"}
    )
    return client
