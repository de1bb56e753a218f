"""The local stack's own OIDC issuer: an RSA key, its JWKS file, and tokens on demand."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://issuer.coissuer.local"
AUDIENCE = "coissuer-api"
KEY_ID = "local-1"


class LocalIssuer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.jwks_path = folder / "jwks.json"
        self._key_path = folder / "issuer-key.pem"

    def ensure(self) -> LocalIssuer:
        """Create the key and JWKS once; later runs reuse them so old tokens stay valid."""
        if self._key_path.exists() and self.jwks_path.exists():
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._key_path.write_bytes(pem)
        self._key_path.chmod(0o600)
        public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        public_jwk.update({"kid": KEY_ID, "use": "sig", "alg": "RS256"})
        self.jwks_path.write_text(json.dumps({"keys": [public_jwk]}))
        return self

    def token(
        self,
        role: str,
        subject: str | None = None,
        tax_code: str | None = None,
        department: str | None = None,
        name: str = "",
        test_trader: bool = False,
        lifetime_seconds: int = 3600,
    ) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject or f"{role}-{uuid.uuid4().hex[:8]}",
            "iat": now,
            "exp": now + lifetime_seconds,
            "custom:role": role,
        }
        if tax_code:
            claims["custom:tax_code"] = tax_code
        if department:
            claims["custom:department"] = department
        if name:
            claims["name"] = name
        if test_trader:
            claims["custom:test_trader"] = "true"
        key = self._key_path.read_bytes()
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})
