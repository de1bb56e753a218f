import contextlib
import functools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime

import boto3
import pytest
from moto.dynamodb.models import DynamoDBBackend

from chalicelib.adapters.payment_store import PaymentStore
from chalicelib.adapters.secrets import SecretsManagerBankSecrets
from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from chalicelib.domain.departments import Department, DepartmentKind, FeeAccount
from chalicelib.domain.fees import FeeKind
from chalicelib.services.payments import Payments
from tools.local_stack import REGION

SUBMITTED = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
ACCOUNT = FeeAccount(
    bank_bin="970407", account_number="19030000000001", account_name="SO CONG THUONG HA NOI"
)
CURRENT_SECRET = "tcb-current-secret"
PREVIOUS_SECRET = "tcb-previous-secret"


def a_department(code: str, account: FeeAccount, fee_collection_from: date) -> Department:
    return Department(
        code=code,
        kind=DepartmentKind.PROVINCE,
        name_vi=f"Sở Công Thương {code}",
        name_en=f"{code} Department of Industry and Trade",
        issuer_code="HN",
        fee_account=account,
        fee_collection_from=fee_collection_from,
    )


class FakeWorkflow:
    """Completes steps like Step Functions: a token completes once, later uses say False."""

    def __init__(self) -> None:
        self.completed: list[tuple[str, str]] = []
        self.repeated: list[str] = []

    def complete_step(self, task_token: str, output: dict) -> bool:
        if task_token in {token for _, token in self.completed}:
            self.repeated.append(task_token)
            return False
        self.completed.append((output["dossier_id"], task_token))
        return True


@contextlib.contextmanager
def atomic_moto_writes() -> Iterator[None]:
    """Make moto's DynamoDB check conditions and write atomically, as DynamoDB does.

    moto evaluates a condition and then writes without a lock, and rolls a cancelled
    transaction back by restoring a copy of the whole table, so two threads can both pass
    the same condition or undo each other's writes. Tests that race threads need this.
    """
    lock = threading.RLock()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
            patch.setattr(DynamoDBBackend, name, _holding(lock, getattr(DynamoDBBackend, name)))
        yield


def _holding(lock, method):
    @functools.wraps(method)
    def locked(*args, **kwargs):
        with lock:
            return method(*args, **kwargs)

    return locked


@pytest.fixture
def atomic_writes() -> Iterator[None]:
    with atomic_moto_writes():
        yield


@pytest.fixture
def table(stack, atomic_writes):
    """The local stack's table, emptied after each test by the stack fixture."""
    return boto3.resource("dynamodb", region_name=REGION).Table(stack.resources.refs["Table"])


@pytest.fixture
def store(table) -> PaymentStore:
    return PaymentStore(table)


@pytest.fixture
def bank_secrets(stack) -> SecretsManagerBankSecrets:
    client = stack.client("secretsmanager")
    client.create_secret(
        Name="coissuer/test/bank/techcombank",
        SecretString=json.dumps({"current": CURRENT_SECRET, "previous": PREVIOUS_SECRET}),
    )
    return SecretsManagerBankSecrets(client, "coissuer/test/bank/{bank}")


@pytest.fixture
def workflow() -> FakeWorkflow:
    return FakeWorkflow()


@pytest.fixture
def payments(store, bank_secrets, workflow) -> Payments:
    return Payments(store=store, secrets=bank_secrets, workflow=workflow)


@pytest.fixture
def order(payments):
    return payments.create_payment_order(
        dossier_id="DOSSIER-1",
        trader_tax_code="0101234567",
        department=a_department("HN", ACCOUNT, datetime(2026, 1, 1).date()),
        fee_kind=FeeKind.ISSUANCE,
        submitted_at=SUBMITTED,
    )


def callback_body(txn_id: str = "FT001", amount: int = 60_000, note: str = "", **extra) -> bytes:
    fields = {
        "txn_id": txn_id,
        "kind": "credit",
        "account": ACCOUNT.account_number,
        "amount": amount,
        "currency": "VND",
        "note": note,
        "booked_at": "2026-12-03T09:58:00+07:00",
    }
    return json.dumps(fields | extra).encode("utf-8")


def signed(body: bytes, secret: str = CURRENT_SECRET, at: datetime = NOW) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
