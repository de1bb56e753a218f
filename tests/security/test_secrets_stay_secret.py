"""No secret, key or token used in a lifecycle shows up in any log line or HTTP response."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.handlers import tasks
from chalicelib.wiring import container
from tests.security.world import (
    BANK,
    BANK_SECRET,
    DEPARTMENT,
    TRADER,
    WRONG_SECRET,
    World,
    build_world,
)
from tests.stack import ISSUER_DIR, Stack

PAYMENT_TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAYpaymentTaskTokenSecretValue000001"
REVIEW_TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAYreviewTaskTokenSecretValue0000002"


class Transcript:
    """Every HTTP exchange of the lifecycle, and the tokens the callers sent."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.texts: list[str] = []
        self.tokens: list[str] = []

    def auth(self, role: str, **claims: Any) -> dict[str, str]:
        headers = self.stack.auth(role, **claims)
        self.tokens.append(headers["Authorization"].removeprefix("Bearer "))
        return headers

    def call(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Any:
        response = self.stack.http.request(method, path, headers=headers, body=body)
        self.texts.append(json.dumps(response.headers) + str(response.body))
        return response


@pytest.fixture
def every_log_line(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    # Our own logger at its most verbose; libraries at INFO, as in production. botocore's
    # DEBUG wire log prints request bodies (task tokens, secrets) and must stay off.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="coissuer")
    yield


def callback(world: World, txn_id: str) -> bytes:
    return json.dumps(
        {
            "txn_id": txn_id,
            "kind": "credit",
            "account": "19030000000001",
            "amount": 60_000,
            "currency": "VND",
            "note": world.payment_reference,
            "booked_at": "2026-12-03T09:10:00+07:00",
        }
    ).encode()


def run_lifecycle(stack: Stack, world: World, transcript: Transcript) -> None:
    dossier = world.dossier_id
    tasks.hold_for_decision(
        {"dossier_id": dossier, "step": "payment", "task_token": PAYMENT_TOKEN}, None
    )
    exporter = transcript.auth("exporter", tax_code=TRADER)
    assert transcript.call("GET", f"/dossiers/{dossier}/payment", exporter).status_code == 200
    path = f"/bank/{BANK}/callbacks"
    for secret, skew in ((WRONG_SECRET, 0), (BANK_SECRET, 900), (BANK_SECRET, 0), (BANK_SECRET, 5)):
        body = callback(world, "FT-LIFECYCLE-1")
        transcript.call("POST", path, world.bank_headers(body, secret, skew), body)
    tasks.hold_for_decision(
        {"dossier_id": dossier, "step": "review", "task_token": REVIEW_TOKEN}, None
    )
    specialist = transcript.auth("specialist", department=DEPARTMENT)
    transcript.call("POST", f"/review/dossiers/{dossier}/claim", specialist)
    decision = b'{"decision": "approve"}'
    transcript.call("POST", f"/review/dossiers/{dossier}/decision", specialist, decision)
    leader = transcript.auth("leader", department=DEPARTMENT)
    transcript.call("GET", "/signing/queue", leader)
    transcript.call("POST", f"/signing/dossiers/{dossier}/approval", leader)
    transcript.call(
        "GET", "/operations/attention?department=DAK-LAK", transcript.auth("operations")
    )
    transcript.call("GET", f"/dossiers/{dossier}/payment", transcript.auth("auditor"))


def secrets_in_play(stack: Stack, transcript: Transcript) -> dict[str, str]:
    secrets = {
        "bank secret": BANK_SECRET,
        "wrong bank secret": WRONG_SECRET,
        "payment task token": PAYMENT_TOKEN,
        "review task token": REVIEW_TOKEN,
    }
    for index, token in enumerate(transcript.tokens):
        secrets[f"JWT {index}"] = token
        secrets[f"JWT {index} signature"] = token.rsplit(".", 1)[-1]
    issuer_key = (ISSUER_DIR / "issuer-key.pem").read_text()
    secrets["token issuer key"] = _pem_body(issuer_key)
    signing_secret_name = container().settings.SIGNING_SECRET_NAME
    client = stack.client("secretsmanager")
    try:
        value = client.get_secret_value(SecretId=signing_secret_name)["SecretString"]
    except client.exceptions.ResourceNotFoundException:
        value = "{}"  # the test stack seeds no signing material; `make run` does
    for name, text in _private_leaves(json.loads(value)):
        secrets[f"signing secret {name}"] = text
    return secrets


def _pem_body(pem: str) -> str:
    # A line from the middle of the key: any fragment of a leaked key is a leak.
    lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return lines[len(lines) // 2]


def _private_leaves(value: Any, name: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _private_leaves(item, key)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _private_leaves(item, name)]
    text = str(value)
    if "PRIVATE KEY" in text:
        return [(name, _pem_body(text))]
    if any(word in name.lower() for word in ("password", "passphrase", "secret", "private")):
        return [(name, text)] if len(text) >= 8 else []
    return []


def test_no_secret_key_or_token_reaches_a_log_or_a_response(
    stack: Stack,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    every_log_line: None,
) -> None:
    container().departments.seed_registry("system:test")
    world = build_world(stack)
    transcript = Transcript(stack)

    run_lifecycle(stack, world, transcript)

    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    assert "bank callback applied" in logged, "the lifecycle's logs were not captured"
    leaks = {
        name
        for name, secret in secrets_in_play(stack, transcript).items()
        if secret in logged or any(secret in text for text in transcript.texts)
    }
    assert leaks == set()
