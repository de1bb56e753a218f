"""A local test PKI for signing certificates of origin outside production.

Creates a test root CA, a leader signing certificate and a time-stamp authority certificate,
all issued by that CA. `make run` stores the result in Secrets Manager (JSON, see
`SigningSecret` in chalicelib/adapters/signing.py):

    {"private_key_pem": ..., "certificate_pem": ..., "chain_pem": [ca],
     "tsa": {"private_key_pem": ..., "certificate_pem": ..., "chain_pem": [ca]}}

Usage: python -m tools.test_ca --out .local/pki [--leader "Nguyễn Văn Đức"]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_KEY_BITS = 2048


@dataclass(frozen=True)
class Issued:
    certificate_pem: str
    private_key_pem: str = ""


@dataclass(frozen=True)
class TestPki:
    ca: Issued
    leader: Issued
    tsa: Issued

    def signing_secret(self) -> dict[str, object]:
        """The Secrets Manager value the local signer reads."""
        return {
            "private_key_pem": self.leader.private_key_pem,
            "certificate_pem": self.leader.certificate_pem,
            "chain_pem": [self.ca.certificate_pem],
            "tsa": {
                "private_key_pem": self.tsa.private_key_pem,
                "certificate_pem": self.tsa.certificate_pem,
                "chain_pem": [self.ca.certificate_pem],
            },
        }


def create_test_pki(
    leader_name: str = "Nguyễn Văn Đức",
    department: str = "Test Department of Industry and Trade",
    now: datetime | None = None,
) -> TestPki:
    now = now or datetime.now(UTC)
    ca_key = _new_key()
    ca_name = _name("coissuer Test Root CA", "coissuer test PKI")
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now, years=10)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    leader_key, tsa_key = _new_key(), _new_key()
    leader = issue_leader_certificate(
        ca_cert, ca_key, leader_key.public_key(), leader_name, department, now
    )
    tsa = _leaf(ca_cert, ca_key, tsa_key.public_key(), _name("coissuer Test TSA", department),
                now, ExtendedKeyUsageOID.TIME_STAMPING)  # fmt: skip
    return TestPki(
        ca=Issued(_pem(ca_cert), _key_pem(ca_key)),
        leader=Issued(_pem(leader), _key_pem(leader_key)),
        tsa=Issued(_pem(tsa), _key_pem(tsa_key)),
    )


def issue_leader_certificate(
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    public_key: PublicKeyTypes,
    leader_name: str,
    department: str,
    now: datetime | None = None,
) -> x509.Certificate:
    """A document-signing certificate for a leader's key (local, or the public key of KMS)."""
    return _leaf(ca_cert, ca_key, public_key, _name(leader_name, department),
                 now or datetime.now(UTC), ExtendedKeyUsageOID.EMAIL_PROTECTION)  # fmt: skip


def signing_secret_for_kms(
    pki: TestPki, kms_client: Any, key_id: str, leader_name: str, department: str
) -> dict[str, object]:
    """The secret for a KMS-held key: a leader certificate for its public key, no private key."""
    public_key = serialization.load_der_public_key(
        kms_client.get_public_key(KeyId=key_id)["PublicKey"]
    )
    ca_cert, ca_key = load_ca(pki)
    leader = issue_leader_certificate(ca_cert, ca_key, public_key, leader_name, department)
    secret = pki.signing_secret()
    secret.pop("private_key_pem")
    secret["certificate_pem"] = _pem(leader)
    return secret


def sandbox_signing_secret(pki: TestPki, leader_name: str, department: str) -> dict[str, object]:
    """The secret of a stage's sandbox departments: a test key held in the secret, certified
    by the same test CA, with the local time-stamp authority."""
    key = _new_key()
    ca_cert, ca_key = load_ca(pki)
    leader = issue_leader_certificate(ca_cert, ca_key, key.public_key(), leader_name, department)
    return {**pki.signing_secret(), "private_key_pem": _key_pem(key),
            "certificate_pem": _pem(leader)}  # fmt: skip


def load_ca(pki: TestPki) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    cert = x509.load_pem_x509_certificate(pki.ca.certificate_pem.encode())
    key = serialization.load_pem_private_key(pki.ca.private_key_pem.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return cert, key


def write_pki(pki: TestPki, out: Path) -> Path:
    """Write PEM files and the signing secret JSON; returns the secret's path."""
    out.mkdir(parents=True, exist_ok=True)
    for name, issued in (("ca", pki.ca), ("leader", pki.leader), ("tsa", pki.tsa)):
        (out / f"{name}.cert.pem").write_text(issued.certificate_pem)
        key_file = out / f"{name}.key.pem"
        key_file.write_text(issued.private_key_pem)
        key_file.chmod(0o600)
    secret = out / "signing-secret.json"
    secret.write_text(json.dumps(pki.signing_secret(), ensure_ascii=False))
    secret.chmod(0o600)
    return secret


def _leaf(
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    public_key: PublicKeyTypes,
    subject: x509.Name,
    now: datetime,
    purpose: x509.ObjectIdentifier,
) -> x509.Certificate:
    timestamping = purpose == ExtendedKeyUsageOID.TIME_STAMPING
    return (
        _builder(subject, ca_cert.subject, public_key, now, years=3)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(non_repudiation=not timestamping), critical=True)
        .add_extension(x509.ExtendedKeyUsage([purpose]), critical=timestamping)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: PublicKeyTypes, now: datetime, years: int
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
    )


def _usage(cert_sign: bool = False, non_repudiation: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=non_repudiation,
        key_encipherment=False, data_encipherment=False, key_agreement=False,
        key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
    ])  # fmt: skip


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(".local/pki"))
    parser.add_argument("--leader", default="Nguyễn Văn Đức")
    parser.add_argument("--department", default="Test Department of Industry and Trade")
    args = parser.parse_args()
    secret = write_pki(create_test_pki(args.leader, args.department), args.out)
    print(f"test PKI written; signing secret JSON: {secret}")


if __name__ == "__main__":
    main()


LOCAL_LEADER = "Nguyễn Văn An"  # the signing leader of the local stack's departments
LOCAL_ORGANISATION = "Sở Công Thương (local stack)"
SANDBOX_LEADER = "Trần Thị Ánh Dương"  # signs the local stack's sandbox specimens


def seed_local_signing_secret(
    stage: str,
    folder: Path | None = None,
    leader_name: str = LOCAL_LEADER,
    organisation: str = LOCAL_ORGANISATION,
) -> dict[str, object]:
    """Store the local stack's signing material: a test CA, a certificate in a leader's name
    for the stage's KMS key, and the local time-stamp authority. The CA certificate is also
    written to `folder` so that PDF validators can be told to trust it."""
    import boto3

    from tools.local_stack import REGION, stage_environment

    environment = stage_environment(stage)
    pki = create_test_pki()
    kms = boto3.client("kms", region_name=REGION)
    secret = signing_secret_for_kms(pki, kms, environment["SIGNING_KMS_KEY_ID"], leader_name,
                                    organisation)  # fmt: skip
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.put_secret_value(
        SecretId=environment["SIGNING_SECRET_NAME"], SecretString=json.dumps(secret)
    )
    # Sandbox departments sign specimens with a test key held in the secret, never with KMS.
    sandbox_secret = sandbox_signing_secret(pki, SANDBOX_LEADER, organisation)
    secrets.put_secret_value(SecretId=environment["SANDBOX_SIGNING_SECRET_NAME"],
                             SecretString=json.dumps(sandbox_secret))  # fmt: skip
    if folder is not None:
        write_pki(pki, folder)
    return secret
