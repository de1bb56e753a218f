"""Verifies OIDC bearer tokens (Cognito in AWS, the local issuer on one machine)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt

from chalicelib.domain.errors import UnauthorizedError
from chalicelib.domain.identity import Principal, Role

ALGORITHMS = ["RS256"]
# Plain HTTP only to this machine (a test's key server); settings admit https and file only.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class TokenVerifier:
    """Checks signature, issuer, audience and expiry, then reads role and scope claims."""

    def __init__(self, jwks_url: str, issuer: str, audience: str) -> None:
        self._issuer = issuer
        self._audience = audience
        _ensure_fetchable(jwks_url)
        self._keys = _LocalKeySet(jwks_url) if jwks_url.startswith("file:") else None
        self._client = None if self._keys else jwt.PyJWKClient(jwks_url, cache_keys=True)

    def verify(self, token: str) -> Principal:
        try:
            key = self._signing_key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            return _principal(claims)
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise UnauthorizedError("The bearer token is not valid") from error

    def _signing_key(self, token: str) -> Any:
        if self._keys is not None:
            return self._keys.key_for(jwt.get_unverified_header(token).get("kid", ""))
        assert self._client is not None
        return self._client.get_signing_key_from_jwt(token).key


def _ensure_fetchable(jwks_url: str) -> None:
    parts = urlsplit(jwks_url)
    if parts.scheme in ("https", "file"):
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return
    raise ValueError("The JWKS must be fetched over https (or read from a file)")


class _LocalKeySet:
    """A JWKS read from a file, for the local issuer of the one-machine stack."""

    def __init__(self, url: str) -> None:
        self._path = Path(url.removeprefix("file:").removeprefix("//"))
        self._keys: dict[str, Any] | None = None

    def key_for(self, kid: str) -> Any:
        if self._keys is None:
            document = json.loads(self._path.read_text())
            self._keys = {entry["kid"]: jwt.PyJWK(entry).key for entry in document.get("keys", [])}
        return self._keys[kid]


def _principal(claims: dict[str, Any]) -> Principal:
    role = Role(claims["custom:role"])
    tax_code = _text_claim(claims, "custom:tax_code")
    department = _text_claim(claims, "custom:department")
    if role is Role.EXPORTER and not tax_code:
        raise UnauthorizedError("An exporter token must carry a tax code")
    if role in (Role.SPECIALIST, Role.LEADER) and not department:
        raise UnauthorizedError("A department staff token must carry a department")
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        tax_code=tax_code,
        department=department,
        name=str(claims.get("name", "")),
        test_trader=claims.get("custom:test_trader") in (True, "true"),
    )


def _text_claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise UnauthorizedError(f"The token's {name} claim must be a string")
    return value
