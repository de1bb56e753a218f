from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.bank_signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BankSecrets,
    SecretSlot,
    sign,
    verify,
)
from chalicelib.domain.errors import UnauthorizedError

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
BODY = b'{"txn_id":"T1","amount":60000}'
SECRETS = BankSecrets(current="new-secret", previous="old-secret")


def signed_headers(secret: str, body: bytes = BODY, at: datetime = NOW) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


def test_a_body_signed_with_the_current_secret_is_accepted():
    assert verify(signed_headers("new-secret"), BODY, SECRETS, NOW) is SecretSlot.CURRENT


def test_the_previous_secret_is_accepted_during_rotation():
    assert verify(signed_headers("old-secret"), BODY, SECRETS, NOW) is SecretSlot.PREVIOUS


def test_the_previous_secret_is_refused_once_rotation_is_over():
    with pytest.raises(UnauthorizedError):
        verify(signed_headers("old-secret"), BODY, BankSecrets(current="new-secret"), NOW)


def test_a_wrong_secret_is_refused():
    with pytest.raises(UnauthorizedError):
        verify(signed_headers("guessed"), BODY, SECRETS, NOW)


def test_a_tampered_body_is_refused():
    headers = signed_headers("new-secret")

    with pytest.raises(UnauthorizedError):
        verify(headers, BODY.replace(b"60000", b"60001"), SECRETS, NOW)


def test_header_names_are_case_insensitive_and_hex_case_is_ignored():
    headers = {name.lower(): value.upper() for name, value in signed_headers("new-secret").items()}

    assert verify(headers, BODY, SECRETS, NOW) is SecretSlot.CURRENT


@pytest.mark.parametrize("skew", [-299, 299, -300, 300])
def test_timestamps_within_300_seconds_either_way_are_accepted(skew):
    headers = signed_headers("new-secret", at=NOW + timedelta(seconds=skew))

    assert verify(headers, BODY, SECRETS, NOW) is SecretSlot.CURRENT


@pytest.mark.parametrize("skew", [-301, 301, -600, 600])
def test_timestamps_beyond_300_seconds_either_way_are_refused(skew):
    headers = signed_headers("new-secret", at=NOW + timedelta(seconds=skew))

    with pytest.raises(UnauthorizedError) as refused:
        verify(headers, BODY, SECRETS, NOW)

    assert refused.value.context["reason"] == "timestamp"


@pytest.mark.parametrize("missing", [TIMESTAMP_HEADER, SIGNATURE_HEADER])
def test_a_missing_header_is_refused(missing):
    headers = signed_headers("new-secret")
    del headers[missing]

    with pytest.raises(UnauthorizedError):
        verify(headers, BODY, SECRETS, NOW)


def test_a_timestamp_that_is_not_unix_seconds_is_refused():
    headers = signed_headers("new-secret") | {TIMESTAMP_HEADER: NOW.isoformat()}

    with pytest.raises(UnauthorizedError):
        verify(headers, BODY, SECRETS, NOW)


def test_secrets_never_show_in_their_repr():
    assert "new-secret" not in repr(SECRETS)
