import re
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.domain.bank_signature import BankSecrets, SecretSlot, sign, verify
from chalicelib.domain.payment_reference import is_valid

DOC = (Path(__file__).parents[3] / "docs" / "bank-integration.md").read_text(encoding="utf-8")


def worked_example() -> tuple[str, str, bytes, str]:
    secret = re.search(r"^Secret: `([^`]+)`", DOC, re.MULTILINE).group(1)
    timestamp = re.search(r"^Timestamp: `(\d+)`", DOC, re.MULTILINE).group(1)
    body = re.search(r"no trailing newline\):\n\n```json\n(.+)\n```", DOC).group(1)
    signature = re.search(r"^Signature: `([0-9a-f]{64})`", DOC, re.MULTILINE).group(1)
    return secret, timestamp, body.encode("utf-8"), signature


def test_the_documented_signature_is_what_we_compute():
    secret, timestamp, body, signature = worked_example()

    assert sign(secret, timestamp, body) == signature


def test_the_documented_request_is_accepted_at_its_own_time():
    secret, timestamp, body, signature = worked_example()
    headers = {"X-Coissuer-Timestamp": timestamp, "X-Coissuer-Signature": signature}
    at = datetime.fromtimestamp(int(timestamp), tz=UTC)

    assert verify(headers, body, BankSecrets(current=secret), at) is SecretSlot.CURRENT


def test_the_documented_commands_and_request_repeat_the_same_values():
    secret, timestamp, body, signature = worked_example()

    assert f"printf '%s.%s' '{timestamp}' '{body.decode()}'" in DOC
    assert f"-hmac '{secret}'" in DOC
    assert f"X-Coissuer-Signature: {signature}" in DOC
    assert is_valid("CO7KQ2M9XDT")
