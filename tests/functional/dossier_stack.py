"""A moto table, bucket and fakes of the dossier service's ports, for functional tests."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3

from chalicelib.adapters.attachment_bucket import AttachmentBucket
from chalicelib.adapters.dossier_store import DossierStore
from chalicelib.adapters.idempotency_store import IdempotencyStore
from chalicelib.domain.department_standing import DepartmentStanding
from chalicelib.domain.forms import catalogue
from chalicelib.services.dossiers import DossierService
from chalicelib.services.traders import TraderService

SAMPLE_DAY = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 10:00 in Viet Nam, 3 December 2026


def create_table(resource: Any, name: str) -> Any:
    def gsi(n: int) -> dict[str, Any]:
        return {
            "IndexName": f"GSI{n}",
            "KeySchema": [
                {"AttributeName": f"GSI{n}PK", "KeyType": "HASH"},
                {"AttributeName": f"GSI{n}SK", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }

    names = ["PK", "SK"] + [f"GSI{n}{k}" for n in (1, 2, 3) for k in ("PK", "SK")]
    return resource.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in names],
        GlobalSecondaryIndexes=[gsi(1), gsi(2), gsi(3)],
        BillingMode="PAY_PER_REQUEST",
    )


class DynamoDBCallCounter:
    """Counts DynamoDB API calls by operation through botocore's event hooks.

    Only calls from the thread that created the counter count: state machine tasks that moto
    runs in other threads are not the measured request's.
    """

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self._thread = threading.get_ident()
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        if threading.get_ident() == self._thread:
            self.calls[model.name] += 1

    def reset(self) -> None:
        self.calls.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@dataclass
class FakeDepartments:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, code: str) -> DepartmentStanding | None:
        record = self.records.get(code)
        return DepartmentStanding.of(code, record) if record is not None else None


@dataclass
class FakeWorkflow:
    started: list[tuple[str, int]] = field(default_factory=list)
    payment_required: list[bool] = field(default_factory=list)

    def start(self, dossier_id: str, attempt: int, payment_required: bool) -> None:
        self.started.append((dossier_id, attempt))
        self.payment_required.append(payment_required)


@dataclass
class Clock:
    now: datetime = SAMPLE_DAY

    def __call__(self) -> datetime:
        return self.now


@dataclass
class DossierStack:
    table: Any
    s3: Any
    bucket_name: str
    store: DossierStore
    idempotency: IdempotencyStore
    bucket: AttachmentBucket
    departments: FakeDepartments
    workflow: FakeWorkflow
    clock: Clock
    traders: TraderService
    dossiers: DossierService
    counter: DynamoDBCallCounter


def build_stack() -> DossierStack:
    """Call inside `moto.mock_aws()`."""
    # Fresh names: under an outer mock (the shared local stack) moto keeps earlier resources.
    suffix = uuid.uuid4().hex[:12]
    table = create_table(boto3.resource("dynamodb", region_name="us-east-1"), f"dossiers-{suffix}")
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket_name = f"documents-{suffix}"
    s3.create_bucket(Bucket=bucket_name)
    store = DossierStore(table)
    bucket = AttachmentBucket(s3, bucket_name)
    departments, workflow, clock = FakeDepartments(), FakeWorkflow(), Clock()
    ids = (f"dossier{n:04d}" for n in itertools.count(1))
    return DossierStack(
        table=table,
        s3=s3,
        bucket_name=bucket_name,
        store=store,
        idempotency=IdempotencyStore(table),
        bucket=bucket,
        departments=departments,
        workflow=workflow,
        clock=clock,
        traders=TraderService(store, clock),
        dossiers=DossierService(
            store, bucket, departments, workflow, catalogue(), clock, lambda: next(ids)
        ),
        counter=DynamoDBCallCounter(table.meta.client),
    )
