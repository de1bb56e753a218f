"""Public certificate verification routes (no authentication).

- `GET /verify/{reference}?code=...`: JSON, or the bilingual HTML page when the browser
  prefers `text/html`. A wrong code answers exactly like an unknown reference.
- `POST /verify/hash` with `{"sha256": "..."}`: whether that file is a published certificate.

Rate limits for these routes are set in API Gateway (docs/verification.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.certificate import VerificationResult
from chalicelib.domain.errors import CoissuerError, NotFoundError
from chalicelib.handlers.api.verification_page import render_verification_page

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}
_HTML_HEADERS = {
    **_HEADERS,
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def verification_blueprint(verification: Callable[[], Any]) -> Blueprint:
    """Routes over a `CertificateVerification` built on first use."""
    bp = Blueprint(__name__)

    @bp.route("/verify/{reference}", methods=["GET"], cors=True)
    def verify_reference(reference: str) -> Response:
        request = bp.current_request
        code = (request.query_params or {}).get("code")
        wants_html = prefers_html(request.headers.get("accept", ""))
        try:
            result = verification().verify(reference, code)
        except NotFoundError as err:
            return _not_found(err, wants_html)
        return _found(result, wants_html)

    @bp.route("/verify/hash", methods=["POST"], cors=True,
              content_types=["application/json"])  # fmt: skip
    def verify_hash() -> Response:
        body = bp.current_request.json_body or {}
        sha256 = body.get("sha256") if isinstance(body, dict) else None
        try:
            result = verification().verify_file(str(sha256 or ""))
        except NotFoundError as err:
            return _json(404, {"published": False, **_problem(err)})
        except CoissuerError as err:
            return _json(err.status, _problem(err))
        return _json(200, {"published": True, "certificate": result.model_dump(mode="json")})

    return bp


def prefers_html(accept: str) -> bool:
    """True when the client ranks text/html above application/json (browsers do)."""
    ranks: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranks[media.strip().lower()] = quality
    return ranks.get("text/html", 0.0) > ranks.get("application/json", 0.0)


def _found(result: VerificationResult, wants_html: bool) -> Response:
    if wants_html:
        return Response(render_verification_page(result), headers=_HTML_HEADERS, status_code=200)
    return _json(200, result.model_dump(mode="json"))


def _not_found(err: NotFoundError, wants_html: bool) -> Response:
    if wants_html:
        return Response(render_verification_page(None), headers=_HTML_HEADERS, status_code=404)
    return _json(404, _problem(err))


def _problem(err: CoissuerError) -> dict[str, Any]:
    return {"type": f"/problems/{err.type_slug}", "title": err.title, "status": err.status,
            "detail": err.detail}  # fmt: skip


def _json(status: int, body: dict[str, Any]) -> Response:
    headers = {**_HEADERS, "Content-Type": "application/json"}
    return Response(json.dumps(body, ensure_ascii=False), headers=headers, status_code=status)
