"""How a bank proves a callback is its own: HMAC-SHA256 over the timestamp and the raw body.

The bank sends two headers:

- `X-Coissuer-Timestamp`: the Unix time of sending, in whole seconds (e.g. `1796307600`);
- `X-Coissuer-Signature`: the lower-case hex HMAC-SHA256, keyed with the bank's secret, of
  the ASCII timestamp, one `.`, and the body bytes exactly as sent.

The signature is checked on the raw bytes before the body is parsed, so re-serialising the
JSON (other spacing or key order) breaks it. A timestamp more than 300 s from our clock, in
either direction, is refused to stop replays. During a rotation both the current and the
previous secret are accepted; the caller learns which one matched.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.errors import UnauthorizedError

TIMESTAMP_HEADER = "X-Coissuer-Timestamp"
SIGNATURE_HEADER = "X-Coissuer-Signature"
TOLERANCE_SECONDS = 300


class SecretSlot(StrEnum):
    CURRENT = "current"
    PREVIOUS = "previous"


@dataclass(frozen=True)
class BankSecrets:
    """A bank's signing secrets; `previous` is set only while a rotation is under way."""

    current: str
    previous: str | None = None

    def __repr__(self) -> str:
        return "BankSecrets(***)"

    def slots(self) -> list[tuple[SecretSlot, str]]:
        candidates = [(SecretSlot.CURRENT, self.current), (SecretSlot.PREVIOUS, self.previous)]
        return [(slot, secret) for slot, secret in candidates if secret]


def sign(secret: str, timestamp: str, raw_body: bytes) -> str:
    """The signature a bank sends for this body at this timestamp."""
    message = timestamp.encode("ascii") + b"." + raw_body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(
    headers: Mapping[str, str], raw_body: bytes, secrets: BankSecrets, now: datetime
) -> SecretSlot:
    """The secret that signed this callback; UnauthorizedError when none did or it is stale."""
    timestamp = _header(headers, TIMESTAMP_HEADER)
    signature = _header(headers, SIGNATURE_HEADER).strip().lower()
    _refuse_stale(timestamp, now)

    matched = None
    for slot, secret in secrets.slots():
        # Every slot is compared, so the time taken does not tell which one was close.
        if hmac.compare_digest(sign(secret, timestamp, raw_body), signature) and not matched:
            matched = slot
    if matched is None:
        raise UnauthorizedError("The callback signature does not match", reason="signature")
    return matched


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted and value:
            return value
    raise UnauthorizedError(f"Header {name} is missing", reason="missing_header")


def _refuse_stale(timestamp: str, now: datetime) -> None:
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise UnauthorizedError("The callback timestamp is not Unix seconds", reason="timestamp")
    if abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
        raise UnauthorizedError(
            "The callback timestamp is outside the accepted window", reason="timestamp"
        )
