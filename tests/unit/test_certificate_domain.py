from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.certificate import (
    CertificateRecord,
    CertificateStatus,
    SignaturePlacement,
    hash_verification_code,
    is_publicly_verifiable,
    new_verification_code,
    placement_from_text,
    placement_to_text,
)


def _record(status: CertificateStatus, code: str) -> CertificateRecord:
    return CertificateRecord(
        reference_number="VN-TH 26/47/00001", dossier_id="d1", status=status,
        issuer_code="47", issuer_name="Dak Lak", exporter_name="Krong Pac",
        importing_country="Thailand", goods_summary="coffee",
        verification_code_hash=hash_verification_code(code), allocated_at=datetime.now(UTC),
    )  # fmt: skip


def test_codes_are_random_and_only_their_hash_is_kept():
    code = new_verification_code()

    assert code != new_verification_code()
    assert len(code) >= 13
    assert code not in hash_verification_code(code)


def test_published_certificate_with_matching_code_is_verifiable():
    assert is_publicly_verifiable(_record(CertificateStatus.VALID, "abc"), "abc")
    assert is_publicly_verifiable(_record(CertificateStatus.CANCELLED, "abc"), "abc")


def test_wrong_code_missing_code_or_unpublished_certificate_is_not_verifiable():
    assert not is_publicly_verifiable(_record(CertificateStatus.VALID, "abc"), "abd")
    assert not is_publicly_verifiable(_record(CertificateStatus.VALID, "abc"), None)
    assert not is_publicly_verifiable(_record(CertificateStatus.PENDING, "abc"), "abc")
    assert not is_publicly_verifiable(None, "abc")


def test_signature_placement_round_trips_through_its_text_form():
    placement = SignaturePlacement(0, 306.5, 100.0, 560.0, 180.25)

    assert placement_from_text(placement_to_text(placement)) == placement
