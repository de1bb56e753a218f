"""Bank callbacks per second, in process against moto, and DynamoDB calls per callback.

Run: .venv/bin/python -m bench.bench_callbacks [--orders 300]

Each order receives one exact credit, then the same callback again (a duplicate); a share of
callbacks carries no reference (suspense). DynamoDB calls are counted with a botocore event
hook on the table's client; Secrets Manager is read once and then cached.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections import Counter
from datetime import UTC, datetime

import boto3
from moto import mock_aws

from chalicelib.adapters.payment_store import PaymentStore
from chalicelib.adapters.secrets import SecretsManagerBankSecrets
from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from chalicelib.domain.payments import FeeAccount
from chalicelib.services.payments import Payments
from tests.functional.payments.conftest import TABLE, create_table

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
SECRET = "bench-secret"
ACCOUNT = FeeAccount(bin="970407", number="19030000000001", name="SO CONG THUONG")


class NoWorkflow:
    def complete_step(self, task_token: str, output: dict[str, str]) -> bool:
        return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    orders = parser.parse_args().orders
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    logging.getLogger("payments").setLevel(logging.WARNING)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"

    with mock_aws():
        payments, client = build()
        references = [create_order(payments, n) for n in range(orders)]
        callbacks = [body(f"FT{n}", ref) for n, ref in enumerate(references)]
        callbacks += callbacks[: orders // 2]
        callbacks += [body(f"UNK{n}", "no reference") for n in range(orders // 10)]

        calls_per_callback: list[int] = []
        operations: Counter[str] = Counter()
        current: list[str] = []
        client.meta.events.register(
            "before-call.dynamodb", lambda model, **_: current.append(model.name)
        )

        started = time.perf_counter()
        for raw in callbacks:
            current.clear()
            timestamp = str(int(NOW.timestamp()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(SECRET, timestamp, raw),
            }
            payments.receive_bank_callback("techcombank", raw, headers, NOW)
            calls_per_callback.append(len(current))
            operations.update(current)
        elapsed = time.perf_counter() - started

    print(
        f"callbacks: {len(callbacks)} ({orders} credits, {orders // 2} duplicates, "
        f"{orders // 10} suspense)"
    )
    print(f"callbacks/second (in process, moto): {len(callbacks) / elapsed:.0f}")
    print(
        f"DynamoDB calls per callback: max {max(calls_per_callback)}, "
        f"mean {sum(calls_per_callback) / len(calls_per_callback):.2f}"
    )
    print(f"DynamoDB operations: {dict(operations)}")


def build() -> tuple[Payments, object]:
    create_table(boto3.client("dynamodb"))
    table = boto3.resource("dynamodb").Table(TABLE)
    secrets_client = boto3.client("secretsmanager")
    secrets_client.create_secret(
        Name="bench/bank/techcombank", SecretString=json.dumps({"current": SECRET})
    )
    payments = Payments(
        store=PaymentStore(table),
        secrets=SecretsManagerBankSecrets(secrets_client, "bench/bank/{bank}"),
        workflow=NoWorkflow(),
    )
    return payments, table.meta.client


def create_order(payments: Payments, n: int) -> str:
    order = payments.create_payment_order(
        dossier_id=f"D{n}",
        trader_tax_code="0101234567",
        department="HN",
        account=ACCOUNT,
        fee_kind="issuance",
        submitted_at=NOW,
        fee_collection_live_from=NOW.date(),
    )
    return order.payment_reference


def body(txn_id: str, note: str) -> bytes:
    fields = {
        "txn_id": txn_id,
        "account": ACCOUNT.number,
        "amount": 60_000,
        "currency": "VND",
        "note": note,
        "booked_at": "2026-12-03T09:58:00+07:00",
    }
    return json.dumps(fields).encode()


if __name__ == "__main__":
    main()
