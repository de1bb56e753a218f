"""1,000 bank callbacks for 200 payment orders, delivered the way real banks misbehave.

Duplicates, shuffled order, eight threads at once, tampered bodies, stale timestamps and a
wrong secret: every order ends paid once, every bad callback is refused, and the money
recorded is exactly the money that really arrived.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from chalicelib.adapters.secrets import SecretsManagerBankSecrets
from chalicelib.domain.errors import UnauthorizedError
from chalicelib.domain.payments import PaymentStatus
from chalicelib.services.payments import Payments
from chalicelib.wiring import container
from tests.security.world import (
    ACCOUNT,
    BANK,
    DEPARTMENT,
    TRADER,
    WRONG_SECRET,
    add_bank_secret,
    department,
)
from tests.stack import Stack

ORDERS = 200
SPLIT_ORDERS = 50  # paid in two halves
FEE = 60_000


class RecordingWorkflow:
    """Completes each await-payment token once, as Step Functions does."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.completions: Counter[str] = Counter()

    def complete_step(self, task_token: str, output: dict) -> bool:
        with self.lock:
            self.completions[task_token] += 1
            return self.completions[task_token] == 1


@dataclass(frozen=True)
class Delivery:
    body: bytes
    signed_body: bytes
    secret_ok: bool
    skew: int

    @property
    def good(self) -> bool:
        return self.body == self.signed_body and self.secret_ok and abs(self.skew) <= 300


def callback(txn_id: str, reference: str, amount: int) -> bytes:
    fields = {
        "txn_id": txn_id,
        "kind": "credit",
        "account": ACCOUNT.account_number,
        "amount": amount,
        "currency": "VND",
        "note": f"CK {reference} phi CO",
        "booked_at": "2026-12-03T09:10:00+07:00",
    }
    return json.dumps(fields).encode()


def deliveries_for(references: list[str], rng: random.Random) -> list[Delivery]:
    genuine: list[bytes] = []
    for index, reference in enumerate(references):
        parts = [FEE // 2, FEE // 2] if index < SPLIT_ORDERS else [FEE]
        genuine += [
            callback(f"FT{index:04d}{n}", reference, amount) for n, amount in enumerate(parts)
        ]
    good = [Delivery(body, body, True, rng.randint(-290, 290)) for body in genuine]
    repeats = [Delivery(body, body, True, rng.randint(-290, 290)) for body in genuine]
    bad: list[Delivery] = []
    for body in rng.sample(genuine, 200):
        bad.append(Delivery(body.replace(b'"amount": ', b'"amount": 9'), body, True, 0))
    for body in rng.sample(genuine, 150):
        bad.append(Delivery(body, body, True, rng.choice([-1, 1]) * rng.randint(301, 86_400)))
    for body in rng.sample(genuine, 150):
        bad.append(Delivery(body, body, False, 0))
    everything = good + repeats + bad
    rng.shuffle(everything)
    return everything


def deliver(payments: Payments, stack: Stack, delivery: Delivery) -> int:
    from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

    secret = "stress-bank-secret" if delivery.secret_ok else WRONG_SECRET
    timestamp = str(int(stack.clock.now.timestamp()) + delivery.skew)
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, delivery.signed_body),
    }
    try:
        result = payments.receive_bank_callback(BANK, delivery.body, headers, stack.clock.now)
    except UnauthorizedError:
        return 401
    return result.status_code


def test_a_thousand_unruly_callbacks_pay_every_order_exactly_once(stack: Stack) -> None:
    # given 200 orders, each with the await-payment step waiting on a task token
    add_bank_secret(stack, secret="stress-bank-secret")
    workflow = RecordingWorkflow()
    store = container().payments.store
    secrets = SecretsManagerBankSecrets(
        stack.client("secretsmanager"), container().settings.BANK_SECRET_PREFIX + "{bank}"
    )
    payments = Payments(store=store, secrets=secrets, workflow=workflow)
    orders = [
        payments.create_payment_order(
            f"STRESS{n:04d}", TRADER, department(), "issuance", stack.clock.now
        )
        for n in range(ORDERS)
    ]
    references = [order.payment_reference for order in orders if order]
    for n in range(ORDERS):
        payments.await_payment(f"STRESS{n:04d}", f"token-{n}")
    deliveries = deliveries_for(references, random.Random(20261203))
    assert len(deliveries) == 1000

    # when they arrive shuffled, from eight threads at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda d: deliver(payments, stack, d), deliveries))

    # then good ones are accepted, bad ones refused, and each order is paid once in full
    assert [s for s, d in zip(statuses, deliveries, strict=True) if d.good] == [200] * 500
    assert [s for s, d in zip(statuses, deliveries, strict=True) if not d.good] == [401] * 500
    stored = [store.order(reference) for reference in references]
    assert all(order.status is PaymentStatus.PAID for order in stored)
    assert all(order.received_vnd == FEE for order in stored)
    assert set(workflow.completions) == {f"token-{n}" for n in range(ORDERS)}
    recorded = store.payments_on(DEPARTMENT, stack.clock.now.date())
    assert len({(t.bank, t.txn_id) for t in recorded}) == len(recorded) == 250
    assert sum(t.became_paid for t in recorded) == ORDERS
    assert sum(t.amount for t in recorded) == ORDERS * FEE
