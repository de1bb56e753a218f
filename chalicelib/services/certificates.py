"""Certificate issuance steps (allocate, render, sign, publish) and public verification.

The Step Functions task handlers call `render_certificate`, `sign_certificate` and
`publish_certificate` with a dossier id; each step is safe to repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from chalicelib.domain.certificate import (
    CertificateContent,
    CertificateRecord,
    CertificateStatus,
    Rendering,
    SignatureAppearance,
    SignaturePlacement,
    SigningNotApprovedError,
    VerificationResult,
    hash_verification_code,
    is_publicly_verifiable,
    is_sha256_hex,
    new_verification_code,
    placement_from_text,
    placement_to_text,
)
from chalicelib.domain.errors import ConflictError, NotFoundError, ValidationFailedError
from chalicelib.domain.reference_numbers import parse_reference
from chalicelib.telemetry import logger

NOT_FOUND = "Certificate not found"


class CertificateSigner(Protocol):
    """Signs a rendered certificate PDF as the department leader (PAdES B-T)."""

    def sign(self, pdf: bytes, appearance: SignatureAppearance) -> bytes: ...


class RenderedPdf(Protocol):
    @property
    def pdf(self) -> bytes: ...

    @property
    def signature_box(self) -> SignaturePlacement: ...


class CertificateSource(Protocol):
    """What the dossier side supplies (implemented over the dossier repository)."""

    def allocation_request(self, dossier_id: str) -> Any:
        """An `AllocationRequest` for the dossier's certificate."""
        ...

    def certificate_content(
        self, dossier_id: str, reference_number: str, verification_url: str
    ) -> CertificateContent: ...

    def signing_leader(self, dossier_id: str) -> str | None:
        """The name of the leader who approved signing, None before approval."""
        ...

    def issued_update(
        self, dossier_id: str, reference_number: str, pdf_key: str, issued_at: datetime
    ) -> Any:
        """The dossier half of the publication transaction (`transact_item(table_name)`)."""
        ...


class CertificateIssuedNotifier(Protocol):
    def certificate_issued(self, dossier_id: str, reference_number: str, pdf_key: str) -> None: ...


class CertificateIssuance:
    def __init__(
        self,
        store: Any,
        files: Any,
        source: CertificateSource,
        signer: Callable[[bool], CertificateSigner],
        render: Callable[[CertificateContent], RenderedPdf],
        public_base_url: str,
        notifier: CertificateIssuedNotifier | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store, self._files, self._source = store, files, source
        self._signer, self._render = signer, render
        self._base = public_base_url.rstrip("/")
        self._notifier, self._clock = notifier, clock

    def allocate_reference(self, dossier_id: str) -> str:
        """Draw the dossier's reference number (or return the one it already has)."""
        record = self._store.allocate(self._source.allocation_request(dossier_id), self._clock())
        logger.info("reference allocated", reference=record.reference_number)
        return str(record.reference_number)

    def render_certificate(self, dossier_id: str) -> str:
        """Render the certificate with a fresh verification code; returns the S3 key."""
        record = self._pending(dossier_id, allocate=True)
        slug = parse_reference(record.reference_number).slug
        code = new_verification_code()
        content = self._source.certificate_content(
            dossier_id, record.reference_number, f"{self._base}/verify/{slug}?code={code}"
        )
        rendered = self._render(content)
        key = self._files.put_working_copy(slug, "unsigned", rendered.pdf)
        self._store.record_rendering(record.reference_number, Rendering(
            verification_code_hash=hash_verification_code(code), issue_date=content.issue_date,
            signer_name=content.signer_name, department_name=content.department_name,
            signature_box=placement_to_text(rendered.signature_box)))  # fmt: skip
        return str(key)

    def sign_certificate(self, dossier_id: str) -> str:
        """Sign the rendered certificate as the approving leader; returns the signed copy's key.

        The visible signature names the leader who approved signing (the page was rendered
        before anyone approved), the department and the signing time.
        """
        record = self._pending(dossier_id)
        if not record.signature_box:
            raise ConflictError(f"Certificate {record.reference_number} is not rendered yet")
        leader = self._source.signing_leader(dossier_id)
        if not leader:
            raise SigningNotApprovedError(f"No leader has approved signing dossier {dossier_id}")
        slug = parse_reference(record.reference_number).slug
        unsigned = self._files.get(f"certificates/{slug}/unsigned.pdf")
        appearance = SignatureAppearance(leader, record.department_name or "",
                                         placement_from_text(record.signature_box))  # fmt: skip
        signed = self._signer(record.sandbox).sign(unsigned, appearance)
        key = self._files.put_working_copy(slug, "signed", signed)
        self._store.record_signer(record.reference_number, leader)
        logger.info("certificate signed", reference=record.reference_number)
        return str(key)

    def publish_certificate(self, dossier_id: str) -> str:
        """Store the signed file once, then mark certificate and dossier issued together."""
        record = self._store.get_by_dossier(dossier_id)
        if record is None:
            raise NotFoundError(f"Dossier {dossier_id} has no certificate")
        if record.status is not CertificateStatus.PENDING:
            return str(record.reference_number)  # published by an earlier attempt
        slug = parse_reference(record.reference_number).slug
        key, sha256 = self._files.publish(slug, self._files.get(f"certificates/{slug}/signed.pdf"))
        update = self._source.issued_update(dossier_id, record.reference_number, key, self._clock())
        self._store.publish(record.reference_number, sha256, key, update, self._clock())
        logger.info("certificate published", reference=record.reference_number)
        if self._notifier is not None:
            self._notifier.certificate_issued(dossier_id, record.reference_number, key)
        return str(record.reference_number)

    def download_url(self, dossier_id: str, expires_in: int = 300) -> str:
        """A short-lived link to the published certificate for the exporter."""
        record = self._store.get_by_dossier(dossier_id)
        if record is None or record.pdf_key is None:
            raise NotFoundError(f"Dossier {dossier_id} has no published certificate")
        return str(self._files.download_url(record.pdf_key, expires_in))

    def cancel(self, reference_number: str, replaced: bool = False) -> None:
        """Cancel an issued certificate, or mark it replaced by a new one."""
        new = CertificateStatus.REPLACED if replaced else CertificateStatus.CANCELLED
        self._store.change_status(reference_number, new, CertificateStatus.VALID)

    def _pending(self, dossier_id: str, allocate: bool = False) -> CertificateRecord:
        record = self._store.get_by_dossier(dossier_id)
        if record is None and allocate:
            record = self._store.allocate(self._source.allocation_request(dossier_id),
                                          self._clock())  # fmt: skip
        if record is None:
            raise NotFoundError(f"Dossier {dossier_id} has no certificate")
        if record.status is not CertificateStatus.PENDING:
            raise ConflictError(f"Certificate {record.reference_number} is already published")
        return record  # type: ignore[no-any-return]


class CertificateVerification:
    """Public verification: reveals only what the certificate prints."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def verify(self, reference: str, code: str | None) -> VerificationResult:
        """By reference and printed code; any mismatch is the same 'not found'."""
        try:
            reference_number = str(parse_reference(reference))
        except ValidationFailedError:
            raise NotFoundError(NOT_FOUND) from None
        record = self._store.get(reference_number)
        if not is_publicly_verifiable(record, code):
            raise NotFoundError(NOT_FOUND)
        return VerificationResult.of(record)

    def verify_file(self, sha256: str) -> VerificationResult:
        """Whether a file with this SHA-256 is a published certificate."""
        if not is_sha256_hex(sha256):
            raise ValidationFailedError("sha256 must be 64 hexadecimal characters")
        record = self._store.find_by_pdf_sha256(sha256.lower())
        if record is None or record.status is CertificateStatus.PENDING:
            raise NotFoundError(NOT_FOUND)
        return VerificationResult.of(record)


def build_signer(deps: Any, sandbox: bool = False) -> CertificateSigner:
    """The signer for a department: a live one signs with the stage's KMS key when a key id is
    set (else the key in the signing secret); a sandbox one always with a test key from
    Secrets Manager, never with KMS.

    The stage's secret holds the leader's certificate and chain (and, outside production, the
    private key and a local time-stamp authority). Sandbox departments of a stage that signs
    with KMS need `SANDBOX_SIGNING_SECRET_NAME`; without it their signing is refused.
    """
    from chalicelib.adapters import signing

    config = deps.settings
    # "local:" (or nothing) selects the time-stamp authority whose key is in the secret.
    tsa_url = config.TIMESTAMP_AUTHORITY_URL
    tsa_url = tsa_url if tsa_url.startswith(("http://", "https://")) else None
    if sandbox:
        name = config.SANDBOX_SIGNING_SECRET_NAME or config.SIGNING_SECRET_NAME
        return signing.signer_from_secret(deps.secretsmanager, name, tsa_url)
    if config.SIGNING_KMS_KEY_ID:
        secret = signing.read_secret(deps.secretsmanager, config.SIGNING_SECRET_NAME)
        timestamps = signing.TimestampSource(url=tsa_url, local=secret.tsa)
        return signing.kms_signer(deps.kms, config.SIGNING_KMS_KEY_ID, secret, timestamps)
    return signing.signer_from_secret(deps.secretsmanager, config.SIGNING_SECRET_NAME, tsa_url)


def issuance(
    deps: Any, source: CertificateSource, notifier: CertificateIssuedNotifier | None = None
) -> CertificateIssuance:
    """The issuance steps over the container's store, bucket and signer."""
    from chalicelib.adapters.certificate_pdf import render_certificate_pdf

    return CertificateIssuance(
        deps.certificate_store, deps.certificate_files, source,
        deps.certificate_signer_for, render_certificate_pdf,
        deps.settings.PUBLIC_BASE_URL, notifier, deps.clock,
    )  # fmt: skip


def render_certificate(deps: Any, source: CertificateSource, dossier_id: str) -> str:
    """Task step: number (if needed) and render the certificate; returns the PDF's S3 key."""
    return issuance(deps, source).render_certificate(dossier_id)


def sign_certificate(deps: Any, source: CertificateSource, dossier_id: str) -> str:
    """Task step: sign the rendered certificate; returns the signed PDF's S3 key."""
    return issuance(deps, source).sign_certificate(dossier_id)


def publish_certificate(
    deps: Any, source: CertificateSource, dossier_id: str,
    notifier: CertificateIssuedNotifier | None = None,
) -> str:  # fmt: skip
    """Task step: publish the signed certificate, dossier issued; returns the reference."""
    return issuance(deps, source, notifier).publish_certificate(dossier_id)
