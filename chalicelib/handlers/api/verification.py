"""Public certificate verification routes (no authentication).

- `GET /verify/{reference}?code=...`: JSON, or the bilingual HTML page when the client
  prefers `text/html` (browsers). A wrong code answers exactly like an unknown reference.
- `POST /verify/hash` with `{"sha256": "..."}`: whether that file is a published certificate.

Rate limits for these routes are set in API Gateway (docs/verification.md).
"""

from __future__ import annotations

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.certificate import VerificationResult
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.identity import PUBLIC
from chalicelib.handlers.api.routing import Call, Reply, endpoint
from chalicelib.handlers.api.verification_page import render_verification_page
from chalicelib.services.certificates import CertificateVerification
from chalicelib.wiring import container

blueprint = Blueprint(__name__)

_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}
_HTML_HEADERS: dict[str, str] = {
    **_HEADERS,
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


class VerifyQuery(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    code: str | None = Field(default=None, max_length=64)


class FileCheck(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


class FileCheckView(BaseModel):
    model_config = ConfigDict(defer_build=True)
    published: bool
    certificate: VerificationResult


@endpoint(
    blueprint,
    "/verify/{reference}",
    "GET",
    access=PUBLIC,
    summary="Verify a certificate by reference number and printed code",
    query=VerifyQuery,
    response=VerificationResult,
    produces=("application/json", "text/html"),
    tags=("public",),
)
def verify_reference(call: Call, reference: str) -> Reply | Response:
    wants_html = prefers_html(call.header("accept") or "")
    try:
        result = _verification().verify(reference, call.query.code)
    except NotFoundError:
        if not wants_html:
            raise
        return _html(render_verification_page(None), 404)
    if wants_html:
        return _html(render_verification_page(result), 200)
    return Reply(result, headers=_HEADERS)


@endpoint(
    blueprint,
    "/verify/hash",
    "POST",
    access=PUBLIC,
    summary="Check whether a file (by SHA-256) is a published certificate",
    body=FileCheck,
    response=FileCheckView,
    tags=("public",),
)
def verify_hash(call: Call) -> Reply:
    result = _verification().verify_file(call.body.sha256)
    return Reply(FileCheckView(published=True, certificate=result), headers=_HEADERS)


def prefers_html(accept: str) -> bool:
    """True when the client ranks text/html above application/json (browsers do)."""
    ranks: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranks[media.strip().lower()] = quality
    return ranks.get("text/html", 0.0) > ranks.get("application/json", 0.0)


def _html(page: str, status: int) -> Response:
    headers: dict[str, str | list[str]] = {**_HTML_HEADERS}
    return Response(page, headers=headers, status_code=status)


def _verification() -> CertificateVerification:
    return CertificateVerification(container().certificate_store)
