"""A moto context for tests that build their own tables and buckets.

Under the shared test stack such a context is nested, and nested moto contexts keep their
state; so whatever tables and buckets the test created are dropped when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto import mock_aws

REGIONS = ("ap-southeast-1", "us-east-1")


@contextmanager
def isolated_aws() -> Iterator[None]:
    with mock_aws():
        before = {region: _inventory(region) for region in REGIONS}
        try:
            yield
        finally:
            for region in REGIONS:
                _drop_new(region, before[region])


def _inventory(region: str) -> tuple[set[str], set[str]]:
    tables = set(boto3.client("dynamodb", region_name=region).list_tables()["TableNames"])
    buckets = {b["Name"] for b in boto3.client("s3", region_name=region).list_buckets()["Buckets"]}
    return tables, buckets


def _drop_new(region: str, before: tuple[set[str], set[str]]) -> None:
    tables, buckets = _inventory(region)
    dynamodb = boto3.client("dynamodb", region_name=region)
    for table in tables - before[0]:
        dynamodb.delete_table(TableName=table)
    s3 = boto3.resource("s3", region_name=region)
    for name in buckets - before[1]:
        bucket = s3.Bucket(name)
        bucket.object_versions.delete()
        bucket.objects.all().delete()
        bucket.delete()
