"""The render, sign and publish task steps on the local stack, signing with KMS (moto)."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from chalicelib.services import certificates
from chalicelib.wiring import container
from tests.functional.certificates.samples import SampleDossiers
from tests.stack import Stack, json_body
from tools.test_ca import create_test_pki, signing_secret_for_kms


@pytest.fixture
def signing_secret(stack: Stack) -> None:
    """What `make run` stores: the leader's certificate for the KMS key, chain and local TSA."""
    deps = container()
    secret = signing_secret_for_kms(
        create_test_pki(), deps.kms, deps.settings.SIGNING_KMS_KEY_ID, "Nguyễn Văn Đức", "Dak Lak"
    )
    deps.secretsmanager.put_secret_value(SecretId=deps.settings.SIGNING_SECRET_NAME,
                                         SecretString=json.dumps(secret))  # fmt: skip


def test_steps_issue_a_certificate_that_the_public_route_verifies(stack: Stack, signing_secret):
    deps = container()
    source = SampleDossiers(deps.table, deps.settings.PUBLIC_BASE_URL,
                            {"d-coffee": "form-d-coffee-th"})  # fmt: skip

    unsigned_key = certificates.render_certificate(deps, source, "d-coffee")
    signed_key = certificates.sign_certificate(deps, source, "d-coffee")
    source.mark_signed("d-coffee")
    reference = certificates.publish_certificate(deps, source, "d-coffee")

    assert unsigned_key == "certificates/VN-TH-26-47-00001/unsigned.pdf"
    assert signed_key == "certificates/VN-TH-26-47-00001/signed.pdf"
    assert reference == "VN-TH 26/47/00001"
    record = deps.certificate_store.get(reference)
    url = urlparse(_qr_url(deps.certificate_files.get(record.pdf_key)))
    response = stack.http.get(f"{url.path}?{url.query}", headers={"Accept": "application/json"})
    assert json_body(response)["status"] == "valid"
    assert json_body(response)["pdf_sha256"] == record.pdf_sha256


def _qr_url(pdf: bytes) -> str:
    import pypdfium2
    import zxingcpp

    [barcode] = zxingcpp.read_barcodes(pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil())
    return barcode.text
