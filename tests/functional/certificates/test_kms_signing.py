"""Production signing: the leader's RSA key stays in KMS (moto), the certificate is the CA's."""

from __future__ import annotations

import io

import boto3
from cryptography.hazmat.primitives import serialization

from chalicelib.adapters.certificate_pdf import render_certificate_pdf
from chalicelib.adapters.signing import PemBundle, TimestampSource, kms_signer
from chalicelib.domain.certificate import SignatureAppearance
from tests.functional.certificates.samples import content_from_sample, load_sample
from tools.test_ca import create_test_pki, issue_leader_certificate, load_ca


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
