"""Maps errors to HTTP problem responses (RFC 9457, `application/problem+json`)."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response
from pydantic import ValidationError

from chalicelib.domain.errors import CoissuerError, FieldProblem, ValidationFailedError

PROBLEM_TYPE_BASE = "https://coissuer.gov.vn/problems/"
PROBLEM_JSON = "application/problem+json"


def problem_response(error: CoissuerError, correlation_id: str) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + error.type_slug,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "correlation_id": correlation_id,
    }
    if isinstance(error, ValidationFailedError):
        body["errors"] = [{"pointer": p.pointer, "detail": p.message} for p in error.problems]
    headers: dict[str, str | list[str]] = {"Content-Type": PROBLEM_JSON}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="coissuer"'
    return Response(
        body=json.dumps(body, ensure_ascii=False), status_code=error.status, headers=headers
    )


def internal_error_response(correlation_id: str) -> Response:
    body = {
        "type": PROBLEM_TYPE_BASE + "internal",
        "title": "Internal error",
        "status": 500,
        "detail": "The request could not be completed. Quote the correlation id to support.",
        "correlation_id": correlation_id,
    }
    return Response(body=json.dumps(body), status_code=500, headers={"Content-Type": PROBLEM_JSON})


def validation_failure(error: ValidationError, prefix: str = "") -> ValidationFailedError:
    """A pydantic error as field problems, each addressed by a JSON pointer."""
    problems = [
        FieldProblem(pointer=prefix + json_pointer(entry["loc"]), message=entry["msg"])
        for entry in error.errors(include_url=False)
    ]
    return ValidationFailedError("The request has invalid fields", problems)


def json_pointer(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in location]
    return "/" + "/".join(parts) if parts else ""
