"""Every sample application, rendered and signed, passes independent checks."""

from __future__ import annotations

import io
import sys
import types
import warnings
from dataclasses import dataclass

import pytest

from chalicelib.adapters.certificate_pdf import render_certificate_pdf
from chalicelib.adapters.signing import SigningSecret, local_signer
from chalicelib.domain.certificate import CertificateContent, SignatureAppearance
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


def _pyhanko_status(pdf: bytes, ca_pem: str):
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = x509.Certificate.load(pem.unarmor(ca_pem.encode())[2])
    reader = PdfFileReader(io.BytesIO(pdf))
    [signature] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    return validate_pdf_signature(signature, context)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_signed_sample_validates_in_pyhanko_as_pades_with_trusted_timestamp(signed, name):
    status = _pyhanko_status(signed[name].pdf, signed[name].ca_pem)

    assert status.bottom_line, status.pretty_print_details()
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.valid and status.timestamp_validity.trusted
    assert status.signing_cert.subject.native["common_name"] == "Nguyễn Văn Đức"


class _CryptographyChain:
    """Certificate path check by pyca/cryptography, in place of endesive's `certvalidator`.

    certvalidator relies on oscrypto, which cannot parse OpenSSL 3.0.1x version strings;
    endesive still checks the document hash, the CMS signature and the time-stamp itself.
    """

    def __init__(self, cert, othercerts, trustedcerts):
        self._cert, self._others, self._trusted = cert, othercerts or [], trustedcerts or []

    def validate_usage(self, key_usage, extended_key_usage):
        from certvalidator.errors import PathValidationError  # the class endesive catches
        from cryptography import x509
        from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store

        def load(cert):
            with warnings.catch_warnings():  # endesive adds certifi's roots; one is malformed
                warnings.simplefilter("ignore")
                return x509.load_der_x509_certificate(cert.dump())

        verifier = (
            PolicyBuilder()
            .store(Store([load(c) for c in self._trusted]))
            .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                                ee_policy=ExtensionPolicy.permit_all())
            .build_client_verifier()
        )  # fmt: skip
        try:
            verifier.verify(load(self._cert), [load(c) for c in self._others])
        except Exception as exc:
            raise PathValidationError(str(exc)) from exc


def _import_endesive_verifier():
    """endesive imports `certvalidator`, whose oscrypto dependency fails to import on OpenSSL
    3.0.1x (it cannot parse the two-digit patch number). The chain is checked by
    `_CryptographyChain` instead, so only certvalidator's error classes are needed."""
    try:
        import certvalidator  # noqa: F401
    except Exception:
        stub, errors = types.ModuleType("certvalidator"), types.ModuleType("certvalidator.errors")
        for name in ("ValidationError", "PathBuildingError", "PathValidationError"):
            setattr(errors, name, type(name, (Exception,), {}))
        stub.errors = errors
        sys.modules.update({"certvalidator": stub, "certvalidator.errors": errors})
    from endesive.pdf.verify import PDFVerifier

    return PDFVerifier


def _endesive_results(pdf: bytes, ca_pem: str):
    PDFVerifier = _import_endesive_verifier()  # noqa: N806

    class Verifier(PDFVerifier):
        def _validator(self, cert, othercerts=None, trustedcerts=None, allow_fetching=False):
            return _CryptographyChain(cert, othercerts, trustedcerts)

    return Verifier(pdf, [ca_pem.encode()]).verify_all_signatures()


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_signed_sample_validates_in_endesive(signed, name):
    [result] = _endesive_results(signed[name].pdf, signed[name].ca_pem)

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


def _tampered(pdf: bytes) -> bytes:
    """Change one character of the first page's text stream owner: the document info title."""
    marker = b"/Creator (coissuer)"
    assert marker in pdf
    return pdf.replace(marker, b"/Creator (coissuex)", 1)


def test_tampered_copy_fails_pyhanko_and_endesive(signed):
    original = signed["form-d-coffee-th"]
    tampered = _tampered(original.pdf)

    status = _pyhanko_status(tampered, original.ca_pem)
    assert not status.intact
    assert not status.bottom_line
    [result] = _endesive_results(tampered, original.ca_pem)
    assert not result.hashok


def test_signature_fills_the_rendered_field_instead_of_adding_one(signed):
    import pikepdf

    with pikepdf.open(io.BytesIO(signed["form-d-coffee-th"].pdf)) as pdf:
        names = [str(f.T) for f in pdf.Root.AcroForm.Fields]
        subfilter = str(pdf.Root.AcroForm.Fields[0].V.SubFilter)

    assert names == ["LeaderSignature"]
    assert subfilter == "/ETSI.CAdES.detached"
