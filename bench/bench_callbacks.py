"""Bank callbacks per second through the app's route, in process on the local stack.

Run: .venv/bin/python -m bench.bench_callbacks [--orders 100]

Each order receives one exact credit; half of them receive the same callback again (a
duplicate); a tenth as many callbacks carry no payment reference (suspense), and as many
reverse an earlier credit. DynamoDB calls
are counted with a botocore event hook on the table's client. Secrets Manager is read once
and then cached. moto copies the whole table on every TransactWriteItems, so the rate here
falls as the table grows and says nothing about DynamoDB itself; the call count does.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import time
from collections import Counter
from datetime import datetime
from typing import Any

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from chalicelib.domain.departments import FeeAccount
from chalicelib.wiring import container
from tests.functional.payments.conftest import a_department
from tests.stack import prepare_environment, running_stack

SECRET = "bench-secret"
ACCOUNT = FeeAccount(
    bank_bin="970407", account_number="19030000000001", account_name="SO CONG THUONG"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100)
    orders = parser.parse_args().orders
    prepare_environment()

    with running_stack() as stack:
        stack.client("secretsmanager").put_secret_value(
            SecretId="coissuer/local/bank/techcombank",
            SecretString=json.dumps({"current": SECRET}),
        )
        department = a_department("HN", ACCOUNT, stack.clock.now.date())
        references = [
            container()
            .payments.create_payment_order(
                f"D{n}", "0101234567", department, "issuance", stack.clock.now
            )
            .payment_reference
            for n in range(orders)
        ]
        callbacks = [body(f"FT{n}", ref) for n, ref in enumerate(references)]
        callbacks += callbacks[: orders // 2]
        callbacks += [body(f"UNK{n}", "no reference") for n in range(orders // 10)]
        callbacks += [body(f"RV{n}", "", original=f"FT{n}") for n in range(orders // 10)]

        per_callback: list[int] = []
        operations: Counter[str] = Counter()
        current: list[str] = []
        container().table.meta.client.meta.events.register(
            "before-call.dynamodb", lambda model, **_: current.append(model.name)
        )

        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the metrics' EMF lines
            run(stack, callbacks, current, per_callback, operations)
        elapsed = time.perf_counter() - started

    print(
        f"callbacks: {len(callbacks)} ({orders} credits, {orders // 2} duplicates, "
        f"{orders // 10} suspense, {orders // 10} reversals), {orders} payment orders"
    )
    print(
        f"callbacks/second (POST /bank/techcombank/callbacks, in process, moto): "
        f"{len(callbacks) / elapsed:.1f}"
    )
    print(
        f"DynamoDB calls per callback: max {max(per_callback)}, "
        f"mean {sum(per_callback) / len(per_callback):.2f}"
    )
    print(f"DynamoDB operations: {dict(operations)}")


def run(
    stack: Any,
    callbacks: list[bytes],
    current: list[str],
    per_callback: list[int],
    operations: Counter[str],
) -> None:
    for raw in callbacks:
        current.clear()
        response = stack.http.post(
            "/bank/techcombank/callbacks", body=raw, headers=signed(raw, stack.clock.now)
        )
        assert response.status_code == 200, response.body
        per_callback.append(len(current))
        operations.update(current)


def signed(raw: bytes, now: datetime) -> dict[str, str]:
    timestamp = str(int(now.timestamp()))
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(SECRET, timestamp, raw),
    }


def body(txn_id: str, note: str, original: str | None = None) -> bytes:
    fields: dict[str, object] = {
        "txn_id": txn_id,
        "account": ACCOUNT.account_number,
        "amount": 60_000,
        "currency": "VND",
        "note": note,
        "booked_at": "2026-12-03T09:58:00+07:00",
    }
    if original:
        fields |= {"kind": "reversal", "original_txn_id": original}
    return json.dumps(fields).encode()


if __name__ == "__main__":
    main()
