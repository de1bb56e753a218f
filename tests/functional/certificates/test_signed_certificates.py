"""Every sample application, rendered and signed, passes independent checks."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from chalicelib.adapters.certificate_pdf import render_certificate_pdf
from chalicelib.adapters.signing import SigningSecret, local_signer
from chalicelib.domain.certificate import CertificateContent, SignatureAppearance
from tests.functional.certificates.independent_checks import (
    endesive_results,
    pyhanko_status,
    tampered,
)
from tests.functional.certificates.samples import SAMPLE_NAMES, content_from_sample, load_sample
from tools.test_ca import create_test_pki

BASE = "https://verify.coissuer.example.vn"


@dataclass(frozen=True)
class Signed:
    content: CertificateContent
    pdf: bytes
    ca_pem: str


@pytest.fixture(scope="module")
def pki():
    return create_test_pki()


@pytest.fixture(scope="module")
def signed(pki) -> dict[str, Signed]:
    signer = local_signer(SigningSecret.model_validate(pki.signing_secret()))
    result = {}
    for n, name in enumerate(SAMPLE_NAMES, start=1):
        reference = f"VN-TH 26/47/{n:05d}"
        url = f"{BASE}/verify/VN-TH-26-47-{n:05d}?code=Zq3_x7PaQ-wKc9"
        content = content_from_sample(load_sample(name), reference, url,
                                      sandbox=name.startswith("form-vj"))  # fmt: skip
        rendered = render_certificate_pdf(content)
        appearance = SignatureAppearance(content.signer_name, content.department_name,
                                         rendered.signature_box)  # fmt: skip
        result[name] = Signed(
            content, signer.sign(rendered.pdf, appearance), pki.ca.certificate_pem
        )
    return result


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_signed_sample_validates_in_pyhanko_as_pades_with_trusted_timestamp(signed, name):
    status = pyhanko_status(signed[name].pdf, signed[name].ca_pem)

    assert status.bottom_line, status.pretty_print_details()
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.valid and status.timestamp_validity.trusted
    assert status.signing_cert.subject.native["common_name"] == "Nguyễn Văn Đức"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_signed_sample_validates_in_endesive(signed, name):
    [result] = endesive_results(signed[name].pdf, signed[name].ca_pem)

    assert (result.hashok, result.signatureok, result.certok) == (True, True, True)
    assert result.tspok is True


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_signed_sample_passes_qpdf_structure_check(signed, name):
    import pikepdf

    with pikepdf.open(io.BytesIO(signed[name].pdf)) as pdf:
        problems = pdf.check_pdf_syntax()

    assert problems == []


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_qr_code_on_page_one_decodes_to_the_verification_url(signed, name):
    import pypdfium2
    import zxingcpp

    image = pypdfium2.PdfDocument(signed[name].pdf)[0].render(scale=3).to_pil()
    texts = [barcode.text for barcode in zxingcpp.read_barcodes(image)]

    assert texts == [signed[name].content.verification_url]


def test_vietnamese_names_are_in_the_page_text(signed):
    import pypdfium2

    page = pypdfium2.PdfDocument(signed["form-b-cashew-ae"].pdf)[0]
    text = page.get_textpage().get_text_range()

    assert "Công ty TNHH Chế biến Điều Phước Long" in text
    assert "27 Đường số 9, Phường Linh Xuân" in text.replace("\r\n", " ")


def test_sandbox_certificate_carries_the_specimen_mark(signed):
    import pypdfium2

    sandbox = pypdfium2.PdfDocument(signed["form-vj-shrimp-jp"].pdf)[0]
    real = pypdfium2.PdfDocument(signed["form-d-coffee-th"].pdf)[0]

    assert "SPECIMEN - NOT VALID" in sandbox.get_textpage().get_text_range()
    assert "SPECIMEN" not in real.get_textpage().get_text_range()


def test_tampered_copy_fails_pyhanko_and_endesive(signed):
    original = signed["form-d-coffee-th"]
    copy = tampered(original.pdf)

    status = pyhanko_status(copy, original.ca_pem)
    assert not status.intact
    assert not status.bottom_line
    [result] = endesive_results(copy, original.ca_pem)
    assert not result.hashok


def test_signature_fills_the_rendered_field_instead_of_adding_one(signed):
    import pikepdf

    with pikepdf.open(io.BytesIO(signed["form-d-coffee-th"].pdf)) as pdf:
        names = [str(f.T) for f in pdf.Root.AcroForm.Fields]
        subfilter = str(pdf.Root.AcroForm.Fields[0].V.SubFilter)

    assert names == ["LeaderSignature"]
    assert subfilter == "/ETSI.CAdES.detached"
