"""A stage table and documents bucket on moto, and the sample collector and payer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto.core.botocore_stubber import BotocoreStubber

from chalicelib.adapters.builtin_receipt_issuer import BuiltInReceiptIssuer
from chalicelib.adapters.receipt_store import ReceiptStore
from chalicelib.domain.receipts import Collector, FeeCharge, Payer, ReceiptDraft
from tests.fakes.pdf_signer import PyHankoTestSigner, self_signed_collector_key
from tests.isolated_aws import isolated_aws

REGION = "ap-southeast-1"
BUCKET = "coissuer-documents-test"


def _create_table(name: str) -> object:
    dynamodb = boto3.resource("dynamodb", region_name=REGION)
    attributes = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"]
    indexes = [
        {
            "IndexName": f"GSI{n}",
            "KeySchema": [
                {"AttributeName": f"GSI{n}PK", "KeyType": "HASH"},
                {"AttributeName": f"GSI{n}SK", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for n in (1, 2, 3)
    ]
    return dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        GlobalSecondaryIndexes=indexes,
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with isolated_aws():
        yield


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Applies each AWS request whole, as DynamoDB does, for tests that issue from threads.

    moto's backends are not thread-safe; serialising requests (not our steps between them)
    keeps the races between reading the counter and the conditional write fully open.
    """
    lock = threading.Lock()
    handle = BotocoreStubber.process_request

    def one_at_a_time(self: BotocoreStubber, request: object) -> object:
        with lock:
            return handle(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", one_at_a_time)


@pytest.fixture
def table(aws: None) -> object:
    return _create_table("coissuer-test")


@pytest.fixture
def store(table: object) -> ReceiptStore:
    return ReceiptStore(table)  # type: ignore[arg-type]


@pytest.fixture
def s3(aws: None) -> object:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return client


@pytest.fixture
def collector() -> Collector:
    return Collector(
        department="DAKLAK",
        name="Sở Công Thương tỉnh Đắk Lắk",
        tax_code="6000181358",
        address="47 Nguyễn Tất Thành, Buôn Ma Thuột, Đắk Lắk",
        form_number="01BLP0-001",
        series_letters="DL",
    )


@pytest.fixture
def payer() -> Payer:
    return Payer(
        name="Công ty TNHH Cà phê Krông Pắc",
        tax_code="6002837411",
        address="126 Nguyen Tat Thanh Street, Tan Lap Ward, Buon Ma Thuot, Dak Lak Province",
    )


ISSUANCE_FEE = FeeCharge(name="Phí cấp giấy chứng nhận xuất xứ hàng hóa (C/O)", amount=60000)
DEC_3 = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def draft_for(
    collector: Collector, payer: Payer, payment_reference: str, issued_at: datetime = DEC_3
) -> ReceiptDraft:
    return ReceiptDraft(
        collector=collector,
        payer=payer,
        fee=ISSUANCE_FEE,
        issued_at=issued_at,
        payment_reference=payment_reference,
        dossier_id=f"D-{payment_reference}",
    )


@pytest.fixture(scope="session")
def collector_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_collector_key(tmp_path_factory.mktemp("keys"), "So Cong Thuong Dak Lak")


@pytest.fixture
def signer(collector_key: tuple[Path, Path]) -> PyHankoTestSigner:
    return PyHankoTestSigner(*collector_key)


@pytest.fixture
def issuer(s3: object, signer: PyHankoTestSigner) -> BuiltInReceiptIssuer:
    return BuiltInReceiptIssuer(s3, BUCKET, signer)  # type: ignore[arg-type]
