"""Production signing: the leader's RSA key stays in KMS (moto), the certificate is the CA's."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import boto3
import pytest
from cryptography.hazmat.primitives import serialization

from chalicelib.adapters.certificate_pdf import render_certificate_pdf
from chalicelib.adapters.signing import PemBundle, TimestampSource, kms_signer
from chalicelib.domain.certificate import SignatureAppearance
from chalicelib.domain.errors import RuleViolationError
from chalicelib.services.certificates import build_signer
from tests.functional.certificates.samples import content_from_sample, load_sample
from tools.test_ca import (
    create_test_pki,
    issue_leader_certificate,
    load_ca,
    sandbox_signing_secret,
    signing_secret_for_kms,
)


def test_kms_signer_produces_a_signature_that_validates_against_the_ca(aws):
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    pki = create_test_pki()
    kms = boto3.client("kms", region_name="ap-southeast-1")
    key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public_key = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    ca_cert, ca_key = load_ca(pki)
    leader_cert = issue_leader_certificate(ca_cert, ca_key, public_key, "Lê Thị Hồng Nhung",
                                           "Ca Mau Department of Industry and Trade")  # fmt: skip
    certificates = PemBundle(
        certificate_pem=leader_cert.public_bytes(serialization.Encoding.PEM).decode(),
        chain_pem=[pki.ca.certificate_pem],
    )
    tsa = PemBundle.model_validate(pki.signing_secret()["tsa"])
    signer = kms_signer(kms, key_id, certificates, TimestampSource(local=tsa))
    content = content_from_sample(
        load_sample("form-vj-shrimp-jp"),
        "VN-JP 26/61/00001",
        "https://verify.example.vn/verify/VN-JP-26-61-00001?code=k",
    )
    rendered = render_certificate_pdf(content)

    signed = signer.sign(rendered.pdf, SignatureAppearance(
        "Lê Thị Hồng Nhung", content.department_name, rendered.signature_box))  # fmt: skip

    root = x509.Certificate.load(pem.unarmor(pki.ca.certificate_pem.encode())[2])
    [signature] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity.valid
    assert status.signing_cert.subject.native["common_name"] == "Lê Thị Hồng Nhung"


def _signing_stage(kms, secrets, pki, sandbox_secret: bool) -> SimpleNamespace:
    """A stage that signs with KMS; its sandbox departments' test key in its own secret."""
    key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    live_name, sandbox_name = f"coissuer/{key_id}/signing", f"coissuer/{key_id}/sandbox"
    live = signing_secret_for_kms(pki, kms, key_id, "Lê Thị Hồng Nhung", "Ca Mau DoIT")
    secrets.create_secret(Name=live_name, SecretString=json.dumps(live))
    if sandbox_secret:
        test_key = sandbox_signing_secret(pki, "Trần Thị Ánh Dương", "Ca Mau DoIT")
        secrets.create_secret(Name=sandbox_name, SecretString=json.dumps(test_key))
    settings = SimpleNamespace(
        TIMESTAMP_AUTHORITY_URL="local:", SIGNING_KMS_KEY_ID=key_id,
        SIGNING_SECRET_NAME=live_name,
        SANDBOX_SIGNING_SECRET_NAME=sandbox_name if sandbox_secret else "",
    )  # fmt: skip
    return SimpleNamespace(settings=settings, secretsmanager=secrets, kms=kms)


def _signed_by(signer, pki) -> tuple[str, bytes]:
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    content = content_from_sample(load_sample("form-vj-shrimp-jp"), "VN-JP 26/61/T0001",
                                  "https://verify.example.vn/verify/VN-JP-26-61-T0001?code=k",
                                  sandbox=True)  # fmt: skip
    rendered = render_certificate_pdf(content)
    signed = signer.sign(rendered.pdf, SignatureAppearance(
        "Trần Thị Ánh Dương", content.department_name, rendered.signature_box))  # fmt: skip
    root = x509.Certificate.load(pem.unarmor(pki.ca.certificate_pem.encode())[2])
    [signature] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
    assert status.bottom_line, status.pretty_print_details()
    cert = status.signing_cert
    return cert.subject.native["common_name"], cert.public_key.dump()


def test_a_live_department_signs_with_kms_and_a_sandbox_one_with_the_test_key(aws):
    pki, kms = create_test_pki(), boto3.client("kms", region_name="ap-southeast-1")
    deps = _signing_stage(kms, boto3.client("secretsmanager", region_name="ap-southeast-1"),
                          pki, sandbox_secret=True)  # fmt: skip
    kms_public_key = kms.get_public_key(KeyId=deps.settings.SIGNING_KMS_KEY_ID)["PublicKey"]

    live_name, live_key = _signed_by(build_signer(deps, sandbox=False), pki)
    sandbox_name, sandbox_key = _signed_by(build_signer(deps, sandbox=True), pki)

    assert (live_name, live_key) == ("Lê Thị Hồng Nhung", kms_public_key)
    assert sandbox_name == "Trần Thị Ánh Dương"
    assert sandbox_key != kms_public_key


def test_a_sandbox_department_without_a_test_key_is_refused_rather_than_signed_with_kms(aws):
    pki, kms = create_test_pki(), boto3.client("kms", region_name="ap-southeast-1")
    deps = _signing_stage(kms, boto3.client("secretsmanager", region_name="ap-southeast-1"),
                          pki, sandbox_secret=False)  # fmt: skip

    with pytest.raises(RuleViolationError, match="no private key"):
        build_signer(deps, sandbox=True)
