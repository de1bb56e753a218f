"""The in-process local stack for tests: moto, the real resources, the app's functions.

The same pieces as `make run`, without sockets: `mock_aws` intercepts boto3, moto's ASL
interpreter runs the real state machine definitions, and the Lambda dispatcher runs the
app's own functions.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tools.local_issuer import LocalIssuer
from tools.local_stack import (
    FAKE_CREDENTIALS,
    MOTO_CONFIG,
    REGION,
    LambdaDispatcher,
    Provisioned,
    provision,
    stage_environment,
)

STAGE = "local"
ISSUER_DIR = Path(__file__).resolve().parent.parent / ".local" / "test-issuer"


def prepare_environment() -> None:
    """The stage's environment, as Lambda would give it, minus the local server endpoint."""
    environment = stage_environment(STAGE)
    environment.pop("AWS_ENDPOINT_URL", None)
    environment["JWKS_URL"] = f"file:{ISSUER_DIR / 'jwks.json'}"
    environment["POWERTOOLS_METRICS_NAMESPACE"] = "Coissuer"
    os.environ.update(environment)
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    LocalIssuer(ISSUER_DIR).ensure()


class Clock:
    """A settable clock; starts at the samples' reference day (3 Dec 2026, 09:00 Vietnam)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 12, 3, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Stack:
    resources: Provisioned
    dispatcher: LambdaDispatcher
    clock: Clock
    issuer: LocalIssuer
    http: Any
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        import boto3

        if service not in self.clients:
            self.clients[service] = boto3.client(service, region_name=REGION)
        return self.clients[service]

    def token(self, role: str, **claims: Any) -> str:
        return self.issuer.token(role, **claims)

    def auth(self, role: str, **claims: Any) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token(role, **claims)}",
            "Content-Type": "application/json",
        }

    @property
    def state_machine_arn(self) -> str:
        return self.resources.refs["DossierStateMachine"]

    def wait_for_execution(
        self,
        execution_arn: str,
        until: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Poll an execution until it stops (or `until` holds); moto runs it in a thread."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            description = sfn.describe_execution(executionArn=execution_arn)
            if until(description) if until else description["status"] != "RUNNING":
                return description
            if time.monotonic() > deadline:
                raise AssertionError(f"execution still {description['status']} after {timeout}s")
            time.sleep(0.02)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        return sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]


@contextmanager
def running_stack() -> Iterator[Stack]:
    from chalice.test import Client
    from moto import mock_aws

    import app as app_module
    from chalicelib.settings import load_settings
    from chalicelib.wiring import Container, use_container

    with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
        dispatcher = LambdaDispatcher(STAGE)
        dispatcher.install()
        try:
            resources = provision(STAGE, dispatcher)
            clock = Clock()
            use_container(Container(load_settings(), clock=clock))
            with Client(app_module.app, stage_name=STAGE) as http:
                yield Stack(resources, dispatcher, clock, LocalIssuer(ISSUER_DIR), http.http)
        finally:
            use_container(None)
            dispatcher.uninstall()


def reset_stack(stack: Stack, baseline_secrets: set[str]) -> None:
    """Remove what a test left behind, so the next test starts from the provisioned stack.

    Building the stack takes seconds (moto parses the state machine definition), so one stack
    serves every test of a worker and is emptied between tests.
    """
    from boto3.dynamodb.types import TypeDeserializer  # noqa: F401 - keeps types importable

    ddb = stack.client("dynamodb")
    table = stack.resources.refs["Table"]
    for page in ddb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="PK, SK"):
        keys = page["Items"]
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
            ddb.batch_write_item(RequestItems={table: requests})
    s3 = stack.client("s3")
    for logical_id in ("DocumentsBucket", "StatementsBucket"):
        _empty_bucket(s3, stack.resources.refs[logical_id])
    sqs = stack.client("sqs")
    for logical_id in ("StatementsQueue", "StatementsDeadLetterQueue"):
        _drain_queue(sqs, stack.resources.refs[logical_id])
    secrets = stack.client("secretsmanager")
    for secret in secrets.list_secrets()["SecretList"]:
        if secret["Name"] not in baseline_secrets:
            secrets.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)


def _drain_queue(sqs: Any, queue_url: str) -> None:
    # PurgeQueue is allowed once a minute, so messages are received and deleted instead.
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        if not messages:
            return
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(messages)
            ],
        )


def _empty_bucket(s3: Any, bucket: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        return
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": o["Key"], "VersionId": o["VersionId"]}
            for o in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})


@contextmanager
def shared_stack_session() -> Iterator[tuple[Stack, set[str]]]:
    with running_stack() as stack:
        names = {s["Name"] for s in stack.client("secretsmanager").list_secrets()["SecretList"]}
        yield stack, names


@contextmanager
def fresh_test_view(stack: Stack, baseline_secrets: set[str]) -> Iterator[Stack]:
    """The shared stack with a new clock and container for one test, emptied afterwards."""
    from chalicelib.settings import load_settings
    from chalicelib.wiring import Container, use_container

    clock = Clock()
    use_container(Container(load_settings(), clock=clock))
    view = Stack(stack.resources, stack.dispatcher, clock, stack.issuer, stack.http, stack.clients)
    try:
        yield view
    finally:
        use_container(None)
        reset_stack(view, baseline_secrets)


def json_body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None
