"""The demo's checks of a downloaded certificate, on a certificate signed here."""

import pytest

from chalicelib.adapters.certificate_pdf import render_certificate_pdf
from chalicelib.adapters.signing import SigningSecret, local_signer
from chalicelib.domain.certificate import SignatureAppearance
from tests.functional.certificates.samples import content_from_sample, load_sample
from tools.demo import StepFailedError, qr_text, signature_status
from tools.test_ca import create_test_pki

URL = "http://127.0.0.1:8000/verify/VN-TH-26-31-00001?code=Zq3_x7PaQ-wKc9"


@pytest.fixture(scope="module")
def signed():
    pki = create_test_pki()
    content = content_from_sample(load_sample("form-d-coffee-th"), "VN-TH 26/31/00001", URL)
    rendered = render_certificate_pdf(content)
    appearance = SignatureAppearance(
        content.signer_name, content.department_name, rendered.signature_box
    )
    signer = local_signer(SigningSecret.model_validate(pki.signing_secret()))
    return signer.sign(rendered.pdf, appearance), pki.ca.certificate_pem.encode()


def test_the_verification_url_is_read_from_the_certificates_qr_code(signed):
    pdf, _ = signed

    assert qr_text(pdf) == URL


def test_a_certificate_signed_under_the_trusted_ca_is_reported_valid(signed):
    pdf, ca_pem = signed

    assert signature_status(pdf, ca_pem).startswith("valid, entire_file")


def test_a_certificate_from_another_ca_fails_the_check(signed):
    pdf, _ = signed
    stranger = create_test_pki().ca.certificate_pem.encode()

    with pytest.raises(StepFailedError, match="does not validate"):
        signature_status(pdf, stranger)


def test_an_unsigned_pdf_fails_the_check(signed):
    _, ca_pem = signed
    unsigned = render_certificate_pdf(
        content_from_sample(load_sample("form-b-cashew-ae"), "VN-AE 26/31/00002", URL)
    ).pdf

    with pytest.raises(StepFailedError, match="no signature"):
        signature_status(unsigned, ca_pem)
