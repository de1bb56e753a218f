"""A PdfSigner for tests: pyHanko with a key and self-signed certificate made on the spot."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def self_signed_collector_key(directory: Path, common_name: str) -> tuple[Path, Path]:
    """Writes a fresh RSA key and a certificate for it; returns (key path, certificate path)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, True, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "collector-key.pem", directory / "collector-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class PyHankoTestSigner:
    """Signs PDFs (PAdES baseline) with the key in `key_path`."""

    def __init__(self, key_path: Path, cert_path: Path) -> None:
        from pyhanko.sign import signers

        self._signer = signers.SimpleSigner.load(str(key_path), str(cert_path))
        digest = hashlib.sha256(cert_path.read_bytes()).hexdigest()[:16]
        self._reference = f"sha256:{digest}"
        self.signed = 0

    @property
    def reference(self) -> str:
        return self._reference

    def sign(self, pdf: bytes) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers

        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        metadata = signers.PdfSignatureMetadata(field_name="CollectorSignature")
        self.signed += 1
        return signers.sign_pdf(writer, metadata, signer=self._signer).getvalue()
