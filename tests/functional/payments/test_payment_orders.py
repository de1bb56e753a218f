import json

import pytest

from chalicelib.adapters.secrets import SecretsManagerBankSecrets
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.vietqr import decode

from .conftest import NOW, callback_body, signed


def test_the_payment_order_view_shows_qr_and_transfer_instructions(payments, order):
    view = payments.payment_order_view(order.dossier_id)

    qr = decode(view.qr_payload)
    assert (qr.bank_bin, qr.account_number, qr.amount_vnd, qr.purpose) == (
        "970407",
        "19030000000001",
        60_000,
        order.payment_reference,
    )
    assert view.qr_png.startswith(b"\x89PNG")
    assert view.instructions.bank_short_name == "Techcombank"
    assert view.instructions.transfer_note == order.payment_reference
    assert view.instructions.amount_vnd == 60_000


def test_after_a_partial_payment_the_instructions_ask_for_the_remainder(payments, order):
    body = callback_body(amount=45_000, note=order.payment_reference)
    payments.receive_bank_callback("techcombank", body, signed(body), NOW)

    view = payments.payment_order_view(order.dossier_id)

    assert view.instructions.amount_vnd == 15_000
    assert decode(view.qr_payload).amount_vnd == 15_000


def test_a_dossier_without_payment_order_has_no_view(payments):
    with pytest.raises(NotFoundError):
        payments.payment_order_view("NO-SUCH-DOSSIER")


def test_bank_secrets_are_cached_until_they_expire(stack):
    client = stack.client("secretsmanager")
    client.create_secret(Name="s/bidv", SecretString=json.dumps({"current": "one"}))
    clock = [0.0]
    secrets = SecretsManagerBankSecrets(
        client, "s/{bank}", ttl_seconds=60, monotonic=lambda: clock[0]
    )
    assert secrets.bank_secrets("bidv").current == "one"

    client.put_secret_value(
        SecretId="s/bidv", SecretString=json.dumps({"current": "two", "previous": "one"})
    )
    cached = secrets.bank_secrets("bidv")
    clock[0] = 61.0
    fresh = secrets.bank_secrets("bidv")

    assert (cached.current, fresh.current, fresh.previous) == ("one", "two", "one")


def test_a_bank_without_a_secret_is_unknown(stack):
    secrets = SecretsManagerBankSecrets(stack.client("secretsmanager"), "s/{bank}")

    with pytest.raises(NotFoundError):
        secrets.bank_secrets("acb")
