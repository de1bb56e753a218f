"""No secret, key or token used in a whole lifecycle shows up in any log line or HTTP answer.

The dossier goes from submission to `issued` through the HTTP API while the real state
machine runs payment, review, receipt, reference, render, sign and publish; the signing
material is the local stack's (a leader certificate for the KMS key and the time-stamp
authority's private key). Every captured log line and every answer is then searched for
every secret in play.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.dossiers import Status
from chalicelib.wiring import container
from tests.functional.lifecycle_support import BANK as PAYING_BANK
from tests.security.world import DEPARTMENT, WRONG_SECRET, Lifecycle, RecordedHttp
from tests.stack import ISSUER_DIR, Stack


@pytest.fixture
def every_log_line(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    # Our own logger at its most verbose; libraries at INFO, as in production. botocore's
    # DEBUG wire log prints request bodies (task tokens, secrets) and must stay off.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="coissuer")
    yield


def refused_callbacks(stack: Stack, http: RecordedHttp) -> None:
    """Callbacks signed with a wrong secret and with a stale timestamp: both refused."""
    from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

    body = b'{"txn_id": "FT-FORGED", "kind": "credit", "amount": 60000}'
    for secret, skew in ((WRONG_SECRET, 0), (_bank_secret(PAYING_BANK), 900)):
        timestamp = str(int(stack.clock.now.timestamp()) + skew)
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(secret, timestamp, body)}  # fmt: skip
        assert (
            http.post(f"/bank/{PAYING_BANK}/callbacks", headers=headers, body=body).status_code
            == 401
        )


def read_what_was_issued(stack: Stack, http: RecordedHttp, dossier_id: str) -> None:
    exporter = stack.auth("exporter", tax_code=container().dossier_store.get_dossier(
        dossier_id).trader_tax_code)  # fmt: skip
    operations, auditor = stack.auth("operations"), stack.auth("auditor")
    for path, headers in (
        (f"/dossiers/{dossier_id}", exporter),
        (f"/dossiers/{dossier_id}/certificate", exporter),
        (f"/dossiers/{dossier_id}/receipt", exporter),
        (f"/dossiers/{dossier_id}/payment", auditor),
        (f"/operations/attention?department={DEPARTMENT}", operations),
        ("/signing/queue", stack.auth("leader", department=DEPARTMENT)),
    ):
        assert http.get(path, headers=headers).status_code == 200, path


def secrets_in_play(stack: Stack, http: RecordedHttp, lifecycle: Lifecycle) -> dict[str, str]:
    secrets = {"wrong bank secret": WRONG_SECRET}
    for index, token in enumerate(lifecycle.task_tokens):
        secrets[f"task token {index}"] = token
    for index, token in enumerate(http.bearer_tokens):
        secrets[f"JWT {index}"] = token
        secrets[f"JWT {index} signature"] = token.rsplit(".", 1)[-1]
    secrets["token issuer key"] = _pem_body((ISSUER_DIR / "issuer-key.pem").read_text())
    bank_prefix = container().settings.BANK_SECRET_PREFIX
    client = stack.client("secretsmanager")
    for listed in client.list_secrets()["SecretList"]:
        value = json.loads(client.get_secret_value(SecretId=listed["ARN"])["SecretString"])
        if listed["Name"].startswith(bank_prefix):
            leaves = [(slot, str(text)) for slot, text in value.items() if text]
        else:
            leaves = _private_leaves(value)
        for name, text in leaves:
            secrets[f"{listed['Name']} {name}"] = text
    return secrets


def _bank_secret(bank: str) -> str:
    name = container().settings.BANK_SECRET_PREFIX + bank
    value = container().secretsmanager.get_secret_value(SecretId=name)["SecretString"]
    return str(json.loads(value)["current"])


def _pem_body(pem: str) -> str:
    # A line from the middle of the key: any fragment of a leaked key is a leak.
    lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return lines[len(lines) // 2]


def _private_leaves(value: Any, name: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [
            leaf
            for key, item in value.items()
            for leaf in _private_leaves(item, f"{name}.{key}".strip("."))
        ]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _private_leaves(item, name)]
    text = str(value)
    if "PRIVATE KEY" in text:
        return [(name, _pem_body(text))]
    if any(word in name.lower() for word in ("password", "passphrase", "secret", "private")):
        return [(name, text)] if len(text) >= 8 else []
    return []


def test_no_secret_key_or_token_reaches_a_log_or_an_answer_in_a_whole_lifecycle(
    stack: Stack,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    every_log_line: None,
) -> None:
    http = RecordedHttp(stack.http)
    recorded = replace(stack, http=http)
    lifecycle = Lifecycle(recorded)

    refused_callbacks(recorded, http)
    issued = lifecycle.issue()
    read_what_was_issued(recorded, http, lifecycle.dossier_id)

    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    secrets = secrets_in_play(stack, http, lifecycle)
    assert issued.status is Status.ISSUED, issued.attention
    for milestone in ("bank callback applied", "certificate published"):
        assert milestone in logged, f"the lifecycle's log has no {milestone!r}"
    assert [name for name in secrets if name.endswith("private_key_pem")], "no signing key"
    assert len(lifecycle.task_tokens) == 3 and len(http.bearer_tokens) >= 5
    leaks = {
        name
        for name, secret in secrets.items()
        if secret in logged or any(secret in answer for answer in http.answers)
    }
    assert leaks == set()
