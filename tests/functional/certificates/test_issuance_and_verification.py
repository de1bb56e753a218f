"""The issuance steps on moto, and public verification of what they publish."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.adapters.certificate_files import CertificateFiles
from chalicelib.adapters.certificate_pdf import render_certificate_pdf
from chalicelib.adapters.certificate_store import CertificateStore
from chalicelib.adapters.signing import SigningSecret, local_signer
from chalicelib.domain.certificate import CertificateStatus, SigningNotApprovedError
from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.services.certificates import (
    NOT_FOUND,
    CertificateIssuance,
    CertificateVerification,
)
from tests.functional.certificates.conftest import BUCKET
from tests.functional.certificates.samples import SampleDossiers
from tools.test_ca import create_test_pki

BASE = "https://verify.coissuer.example.vn"
NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


class RecordingNotifier:
    def __init__(self):
        self.sent = []

    def certificate_issued(self, dossier_id, reference_number, pdf_key):
        self.sent.append((dossier_id, reference_number, pdf_key))


@pytest.fixture(scope="module")
def pki_secret():
    return SigningSecret.model_validate(create_test_pki().signing_secret())


@pytest.fixture
def world(table, s3, pki_secret):
    dossiers = SampleDossiers(
        table, BASE,
        {"d-coffee": "form-d-coffee-th", "d-shoes": "form-e-footwear-cn",
         "d-cashew": "form-b-cashew-ae", "d-shrimp": "form-vj-shrimp-jp"},
        sandbox=frozenset({"d-shrimp"}),
    )  # fmt: skip
    signer = local_signer(pki_secret)
    notifier = RecordingNotifier()
    store, files = CertificateStore(table), CertificateFiles(s3, BUCKET)
    issuance = CertificateIssuance(store, files, dossiers, lambda sandbox: signer,
                                   render_certificate_pdf,
                                   BASE, notifier, clock=lambda: NOW)  # fmt: skip
    return issuance, CertificateVerification(store), dossiers, files, notifier, store


def _issue(world, dossier_id: str) -> str:
    issuance, _verification, dossiers, *_ = world
    issuance.render_certificate(dossier_id)
    issuance.sign_certificate(dossier_id)
    dossiers.mark_signed(dossier_id)
    return issuance.publish_certificate(dossier_id)


def _printed_url(files, store, reference: str) -> str:
    import pypdfium2
    import zxingcpp

    pdf = files.get(store.get(reference).pdf_key)
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    [barcode] = zxingcpp.read_barcodes(image)
    return barcode.text


def test_issued_certificate_verifies_with_the_code_printed_in_its_qr(world):
    _issuance, verification, _dossiers, files, notifier, store = world

    reference = _issue(world, "d-coffee")

    url = urlparse(_printed_url(files, store, reference))
    code = parse_qs(url.query)["code"][0]
    result = verification.verify(url.path.rsplit("/", 1)[1], code)
    assert reference == "VN-TH 26/47/00001"
    assert result.status is CertificateStatus.VALID
    assert result.exporter == "Krong Pac Coffee Company Limited"
    assert result.importing_country == "Thailand"
    assert result.issuer == "Dak Lak Department of Industry and Trade"
    assert result.issue_date.isoformat() == "2026-12-03"
    assert result.goods_summary.startswith("HS 0901.11")
    assert notifier.sent == [("d-coffee", reference, store.get(reference).pdf_key)]


def test_published_file_sits_under_its_sha256_and_matches_the_record(world):
    _issuance, verification, _dossiers, files, _notifier, store = world

    reference = _issue(world, "d-shoes")

    record = store.get(reference)
    pdf = files.get(record.pdf_key)
    assert record.pdf_key == f"certificates/VN-CN-26-03-00001/{record.pdf_sha256}.pdf"
    assert hashlib.sha256(pdf).hexdigest() == record.pdf_sha256
    assert verification.verify_file(record.pdf_sha256).reference_number == reference


def test_dossier_is_issued_with_its_reference_number(world, table):
    reference = _issue(world, "d-cashew")

    dossier = table.get_item(Key={"PK": "DOSSIER#d-cashew", "SK": "META"})["Item"]
    assert dossier["status"] == "issued"
    assert dossier["reference_number"] == reference


def test_wrong_code_unknown_reference_and_garbage_all_answer_the_same_not_found(world):
    _issuance, verification, *_ = world
    reference = _issue(world, "d-coffee")

    answers = []
    for ref, code in [
        (reference, "wrong-code"),
        ("VN-TH 26/47/09999", "x"),
        ("not a reference", "x"),
        (reference, None),
        (reference, ""),
    ]:
        with pytest.raises(NotFoundError) as caught:
            verification.verify(ref, code)
        answers.append((type(caught.value), caught.value.detail))

    assert set(answers) == {(NotFoundError, NOT_FOUND)}


def test_tampered_file_hash_is_not_a_published_certificate(world):
    _issuance, verification, _dossiers, files, _notifier, store = world
    reference = _issue(world, "d-coffee")
    pdf = files.get(store.get(reference).pdf_key)

    tampered = hashlib.sha256(pdf.replace(b"coissuer", b"coissuex", 1)).hexdigest()

    with pytest.raises(NotFoundError):
        verification.verify_file(tampered)


def test_cancelled_certificate_verifies_as_cancelled(world):
    issuance, verification, _dossiers, files, _notifier, store = world
    reference = _issue(world, "d-coffee")
    code = parse_qs(urlparse(_printed_url(files, store, reference)).query)["code"][0]

    issuance.cancel(reference)

    assert verification.verify(reference, code).status is CertificateStatus.CANCELLED


def test_sandbox_certificate_verifies_as_test_from_the_test_series(world):
    _issuance, verification, _dossiers, files, _notifier, store = world

    reference = _issue(world, "d-shrimp")

    code = parse_qs(urlparse(_printed_url(files, store, reference)).query)["code"][0]
    assert reference == "VN-JP 26/61/T0001"
    assert verification.verify(reference, code).status is CertificateStatus.TEST


def test_not_yet_published_certificate_is_not_found(world):
    issuance, verification, *_ = world

    issuance.render_certificate("d-coffee")

    with pytest.raises(NotFoundError):
        verification.verify("VN-TH 26/47/00001", "anything")


def test_repeating_steps_is_harmless(world):
    issuance, _verification, dossiers, *_ = world

    first_key = issuance.render_certificate("d-coffee")
    assert issuance.render_certificate("d-coffee") == first_key
    issuance.sign_certificate("d-coffee")
    dossiers.mark_signed("d-coffee")
    reference = issuance.publish_certificate("d-coffee")

    assert issuance.publish_certificate("d-coffee") == reference
    assert issuance.allocate_reference("d-coffee") == reference
    with pytest.raises(ConflictError):
        issuance.sign_certificate("d-coffee")


def test_publication_is_refused_while_the_dossier_is_not_signed(world):
    issuance, *_ = world
    issuance.render_certificate("d-coffee")
    issuance.sign_certificate("d-coffee")

    with pytest.raises(ConflictError):
        issuance.publish_certificate("d-coffee")


def test_exporter_download_link_is_presigned_and_short_lived(world):
    issuance, *_ = world
    _issue(world, "d-coffee")

    url = issuance.download_url("d-coffee", expires_in=300)

    query = parse_qs(urlparse(url).query)
    assert query.get("X-Amz-Expires") == ["300"] or query.get("Expires")


def test_a_certificate_no_leader_approved_is_not_signed(world):
    issuance, _verification, dossiers, files, _notifier, store = world
    issuance.render_certificate("d-coffee")
    dossiers.unapproved.add("d-coffee")

    with pytest.raises(SigningNotApprovedError):
        issuance.sign_certificate("d-coffee")

    slug = store.get_by_dossier("d-coffee").reference_number.replace(" ", "-").replace("/", "-")
    with pytest.raises(NotFoundError):
        files.get(f"certificates/{slug}/signed.pdf")
