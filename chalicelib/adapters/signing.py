"""PAdES B-T signing of certificate PDFs with pyHanko.

pyHanko costs about 370 ms to import, so it is imported only inside this module's functions;
nothing that `app.py` imports at module level imports this module.

Two key holders:
- local: key and certificate chain from a Secrets Manager secret (sandbox, local stack);
- KMS: the key stays in AWS KMS (production); a small pyHanko `Signer` calls KMS `Sign`.

Time-stamps come from an RFC 3161 authority by URL (production) or from a local authority
whose key sits in the same secret (sandbox, local stack, tests).

Secret JSON (`SigningSecret`): {"private_key_pem", "certificate_pem", "chain_pem": [...],
"tsa": {"private_key_pem", "certificate_pem", "chain_pem": [...]}} ("tsa" optional).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from chalicelib.domain.certificate import SignatureAppearance
from chalicelib.domain.errors import RuleViolationError, TransientError

# Room for the CMS signature: RSA-3072 signature, a chain of three certificates and an RFC
# 3161 token with its own chain. Reserving it skips pyHanko's sizing dry run.
SIGNATURE_BYTES_RESERVED = 16 * 1024
_KMS_ALGORITHM = "RSASSA_PKCS1_V1_5_SHA_256"


class PemBundle(BaseModel):
    model_config = ConfigDict(defer_build=True)
    private_key_pem: str | None = None
    certificate_pem: str
    chain_pem: list[str] = []


class SigningSecret(PemBundle):
    tsa: PemBundle | None = None


@dataclass(frozen=True)
class TimestampSource:
    """Either an RFC 3161 authority URL or a local authority's PEMs."""

    url: str | None = None
    local: PemBundle | None = None

    def timestamper(self) -> Any:
        if self.url:
            from pyhanko.sign.timestamps import HTTPTimeStamper

            return HTTPTimeStamper(self.url, timeout=10)
        if self.local is None or not self.local.private_key_pem:
            raise RuleViolationError("No time-stamp authority configured for signing")
        from cryptography.hazmat.primitives import serialization
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        key = serialization.load_pem_private_key(self.local.private_key_pem.encode(), None)
        return _local_tsa_class()(
            key,
            tsa_cert=_asn1_cert(self.local.certificate_pem),
            tsa_key=_asn1_key(self.local.private_key_pem),
            certs_to_embed=SimpleCertificateStore.from_certs(
                [_asn1_cert(p) for p in self.local.chain_pem]
            ),
        )


class PadesCertificateSigner:
    """Signs certificate PDFs (the `CertificateSigner` port) with a held pyHanko signer."""

    def __init__(self, pyhanko_signer: Any, timestamps: TimestampSource) -> None:
        self._signer = pyhanko_signer
        self._timestamper = timestamps.timestamper()

    def sign(self, pdf: bytes, appearance: SignatureAppearance) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko.sign.timestamps import TimestampRequestError

        place = appearance.placement
        signed_at = datetime.now(UTC)
        meta = signers.PdfSignatureMetadata(
            field_name=place.field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=appearance.reason,
            location=appearance.location,
            name=appearance.signer_name,
        )
        pdf_signer = signers.PdfSigner(
            meta,
            signer=self._signer,
            timestamper=self._timestamper,
            stamp_style=_stamp_style(appearance, signed_at),
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = io.BytesIO()
        try:
            pdf_signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES_RESERVED, output=out)
        except TimestampRequestError as err:
            raise TransientError("The time-stamp authority did not answer") from err
        return out.getvalue()


class CollectorPdfSigner:
    """Signs receipts (the receipts' `PdfSigner` port) invisibly, as the collecting department."""

    FIELD = "CollectorSignature"

    def __init__(self, signer: Any, reference: str) -> None:
        self._signer = signer
        self._reference = reference

    @property
    def reference(self) -> str:
        return self._reference

    def sign(self, pdf: bytes) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko.sign.timestamps import TimestampRequestError

        meta = signers.PdfSignatureMetadata(
            field_name=self.FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="Fee and charge receipt",
            location="Viet Nam",
        )
        pdf_signer = signers.PdfSigner(
            meta, signer=self._signer._signer, timestamper=self._signer._timestamper
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = io.BytesIO()
        try:
            pdf_signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES_RESERVED, output=out)
        except TimestampRequestError as err:
            raise TransientError("The time-stamp authority did not answer") from err
        return out.getvalue()


def local_signer(secret: SigningSecret, tsa_url: str | None = None) -> PadesCertificateSigner:
    """A signer whose key is held in memory, parsed once."""
    from cryptography.hazmat.primitives import serialization

    if not secret.private_key_pem:
        raise RuleViolationError("The signing secret holds no private key")
    key = serialization.load_pem_private_key(secret.private_key_pem.encode(), password=None)
    held = _held_key_signer_class()(key, _asn1_cert(secret.certificate_pem),
                                    _registry(secret.chain_pem))  # fmt: skip
    return PadesCertificateSigner(held, TimestampSource(url=tsa_url, local=secret.tsa))


def kms_signer(
    kms_client: Any, key_id: str, certificates: PemBundle, timestamps: TimestampSource
) -> PadesCertificateSigner:
    """A signer whose RSA key never leaves KMS; the certificate is the leader's for that key."""
    held = _kms_signer_class()(kms_client, key_id, _asn1_cert(certificates.certificate_pem),
                               _registry(certificates.chain_pem))  # fmt: skip
    return PadesCertificateSigner(held, timestamps)


_cache: dict[tuple[str, str | None], PadesCertificateSigner] = {}
_cache_lock = threading.Lock()


def signer_from_secret(
    secrets_client: Any, secret_id: str, tsa_url: str | None = None
) -> PadesCertificateSigner:
    """The local signer for a secret, loaded once per process (key parsing is the slow part)."""
    with _cache_lock:
        if (secret_id, tsa_url) not in _cache:
            _cache[(secret_id, tsa_url)] = local_signer(read_secret(secrets_client, secret_id),
                                                        tsa_url)  # fmt: skip
        return _cache[(secret_id, tsa_url)]


def read_secret(secrets_client: Any, secret_id: str) -> SigningSecret:
    try:
        value = secrets_client.get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as err:
        raise TransientError("The signing secret cannot be read") from err
    return SigningSecret.model_validate(json.loads(value))


_classes: dict[str, type] = {}


def _stamp_style(appearance: SignatureAppearance, signed_at: datetime) -> Any:
    """The visible signature: a small page drawn with the certificate's Unicode font.

    pyHanko's own text stamps would embed the font through a full OpenType subsetting pass
    (seconds for Noto Sans); drawing the stamp with the renderer's cached font costs ~2 ms.
    """
    from pyhanko.pdf_utils import layout
    from pyhanko.stamp import StaticStampStyle

    from chalicelib.adapters.certificate_pdf import render_signature_appearance

    place = appearance.placement
    page = render_signature_appearance(
        appearance.signer_name, appearance.department_name, signed_at,
        place.x2 - place.x1, place.y2 - place.y1,
    )  # fmt: skip
    return StaticStampStyle(
        background=_imported_page_class()(page),
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(  # the page is drawn at the box's size
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
        ),
    )


def _imported_page_class() -> type:
    """pyHanko's ImportedPdfPage reads a file by name; this one takes the bytes in memory."""
    if "page" not in _classes:
        from pyhanko.pdf_utils.content import PdfContent
        from pyhanko.pdf_utils.layout import BoxConstraints
        from pyhanko.pdf_utils.reader import PdfFileReader

        class InMemoryPage(PdfContent):
            def __init__(self, pdf: bytes) -> None:
                self._pdf = pdf
                super().__init__()

            def render(self) -> bytes:
                xobj = self._ensure_writer.import_page_as_xobject(
                    PdfFileReader(io.BytesIO(self._pdf)), page_ix=0
                )
                self.resources.xobject["/Appearance"] = xobj
                x1, y1, x2, y2 = xobj.get_object()["/BBox"]
                self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
                return b"/Appearance Do"

        _classes["page"] = InMemoryPage
    return _classes["page"]


def _held_key_signer_class() -> type:
    """A pyHanko Signer that keeps the parsed key (SimpleSigner re-parses it per signature)."""
    if "held" not in _classes:
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from pyhanko.sign.signers import Signer
        from pyhanko_certvalidator.util import get_pyca_cryptography_hash

        class HeldKeySigner(Signer):
            def __init__(self, key: Any, cert: Any, registry: Any) -> None:
                self._key = key
                super().__init__(signing_cert=cert, cert_registry=registry)

            async def async_sign_raw(
                self, data: bytes, digest_algorithm: str, dry_run: bool = False
            ) -> bytes:
                return self._key.sign(
                    data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm)
                )

        _classes["held"] = HeldKeySigner
    return _classes["held"]


def _local_tsa_class() -> type:
    """pyHanko's in-process time-stamp authority, keeping its parsed key between requests."""
    if "tsa" not in _classes:
        from asn1crypto import cms, core
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from pyhanko.sign.general import as_signing_certificate, simple_cms_attribute
        from pyhanko.sign.timestamps import DummyTimeStamper
        from pyhanko_certvalidator.util import get_pyca_cryptography_hash

        class LocalTimeStamper(DummyTimeStamper):
            def __init__(self, key: Any, **kwargs: Any) -> None:
                self._key = key
                super().__init__(**kwargs)
                # Built once and re-parsed, so later encodings reuse the bytes: asn1crypto
                # re-encodes freshly built structures (the issuer name) on every dump.
                self._signing_certificate = cms.CMSAttribute.load(
                    simple_cms_attribute(
                        "signing_certificate", as_signing_certificate(self.tsa_cert)
                    ).dump()
                )

            def _sign_tst_info(
                self, tst_info_data: bytes, md_algorithm: str, dt: datetime
            ) -> tuple[bytes, Any]:
                digest = hashlib.new(md_algorithm, tst_info_data).digest()
                attrs = cms.CMSAttributes([
                    simple_cms_attribute("content_type", "tst_info"),
                    simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                    self._signing_certificate,
                    simple_cms_attribute("message_digest", digest),
                ])  # fmt: skip
                attrs = cms.CMSAttributes.load(attrs.dump())
                hash_algo = get_pyca_cryptography_hash(md_algorithm)
                return self._key.sign(attrs.dump(), PKCS1v15(), hash_algo), attrs

        _classes["tsa"] = LocalTimeStamper
    return _classes["tsa"]


def _kms_signer_class() -> type:
    if "kms" not in _classes:
        from pyhanko.sign.signers import Signer

        class KmsSigner(Signer):
            def __init__(self, client: Any, key_id: str, cert: Any, registry: Any) -> None:
                self._client, self._key_id = client, key_id
                self._signature_size = cert.public_key.bit_size // 8
                super().__init__(signing_cert=cert, cert_registry=registry)

            async def async_sign_raw(
                self, data: bytes, digest_algorithm: str, dry_run: bool = False
            ) -> bytes:
                if digest_algorithm.lower() != "sha256":
                    raise RuleViolationError("KMS signing is configured for SHA-256 only")
                if dry_run:
                    return bytes(self._signature_size)
                return _kms_sign(self._client, self._key_id, data)

        _classes["kms"] = KmsSigner
    return _classes["kms"]


def _kms_sign(client: Any, key_id: str, data: bytes) -> bytes:
    # RAW: KMS hashes the signed attributes itself (they are far below its 4 KB limit).
    try:
        response = client.sign(KeyId=key_id, Message=data, MessageType="RAW",
                               SigningAlgorithm=_KMS_ALGORITHM)  # fmt: skip
    except ClientError as err:
        raise TransientError("KMS could not sign the certificate") from err
    return bytes(response["Signature"])


def _asn1_cert(pem: str) -> Any:
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509

    _, _, der = asn1_pem.unarmor(pem.encode())
    return x509.Certificate.load(der)


def _asn1_key(pem: str) -> Any:
    from asn1crypto import keys
    from asn1crypto import pem as asn1_pem

    _, _, der = asn1_pem.unarmor(pem.encode())
    return keys.PrivateKeyInfo.load(der)


def _registry(chain_pem: list[str]) -> Any:
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return SimpleCertificateStore.from_certs([_asn1_cert(p) for p in chain_pem])


def pdf_sha256(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def signing_time_of(pdf: bytes) -> datetime | None:
    """The signer-reported time of the last signature (for display), if any."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return signatures[-1].self_reported_timestamp if signatures else None
