from datetime import UTC, datetime

from chalicelib.domain.bank_signature import BankSecrets, SecretSlot, verify
from tools.demo import signed_headers


def test_the_demo_bank_signs_callbacks_the_way_the_api_verifies_them():
    body = b'{"txn_id":"FT1","account":"19036688001011","amount":60000}'
    at = datetime(2026, 12, 3, 2, 58, 30, tzinfo=UTC)

    headers = signed_headers("demo-secret", body, int(at.timestamp()))

    assert verify(headers, body, BankSecrets(current="demo-secret"), at) == SecretSlot.CURRENT


def test_the_demo_bank_reproduces_the_worked_example_of_the_bank_guide():
    body = (
        b'{"txn_id":"FT26337019283","kind":"credit","account":"19030000000001","amount":60000,'
        b'"currency":"VND","note":"CT DEN:0123 CO7KQ2M9XDT NOP PHI CO",'
        b'"booked_at":"2026-12-03T09:58:12+07:00"}'
    )

    headers = signed_headers("example-secret-techcombank-2026", body, 1796266710)

    assert headers["X-Coissuer-Signature"] == (
        "538a641e602bf3eaebff7101ff33d2d5ef1ab80373f1d752bf6c0297699310be"
    )
