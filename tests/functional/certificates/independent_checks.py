"""Independent checks of a signed certificate: pyHanko, endesive, qpdf, the QR code and the
visible signature's text, none of which share code with the signer."""

from __future__ import annotations

import io
import sys
import types
import warnings

import pypdfium2


def pyhanko_status(pdf: bytes, ca_pem: str):
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = x509.Certificate.load(pem.unarmor(ca_pem.encode())[2])
    reader = PdfFileReader(io.BytesIO(pdf))
    [signature] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    return validate_pdf_signature(signature, context)


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


def endesive_results(pdf: bytes, ca_pem: str):
    PDFVerifier = _import_endesive_verifier()  # noqa: N806

    class Verifier(PDFVerifier):
        def _validator(self, cert, othercerts=None, trustedcerts=None, allow_fetching=False):
            return _CryptographyChain(cert, othercerts, trustedcerts)

    return Verifier(pdf, [ca_pem.encode()]).verify_all_signatures()


def tampered(pdf: bytes) -> bytes:
    """Change one character of the first page's text stream owner: the document info title."""
    marker = b"/Creator (coissuer)"
    assert marker in pdf
    return pdf.replace(marker, b"/Creator (coissuex)", 1)


def qpdf_problems(pdf: bytes) -> list[str]:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return list(document.check_pdf_syntax())


def qr_texts(pdf: bytes) -> list[str]:
    import zxingcpp

    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def signature_appearance_text(pdf: bytes) -> str:
    """The visible signature's text: the first page with its annotations flattened, less the
    text of the page itself."""
    document = pypdfium2.PdfDocument(pdf)
    page_text = document[0].get_textpage().get_text_range()
    flat = pypdfium2.PdfDocument(pdf)
    flat.init_forms()
    flat[0].flatten()
    out = io.BytesIO()
    flat.save(out)
    text = pypdfium2.PdfDocument(out.getvalue())[0].get_textpage().get_text_range()
    return text.replace(page_text, "").replace("\r\n", "\n").strip()
