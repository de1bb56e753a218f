"""The one error hierarchy of coissuer.

Every error the product raises on purpose derives from `CoissuerError`. The HTTP layer maps
them to problem responses by `status`; the state machines retry or catch them by class name,
so renaming a class is a change to the workflow contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field, addressed by a JSON pointer into the request body."""

    pointer: str
    message: str


class CoissuerError(Exception):
    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str = "", **context: object) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.context = context


class BadRequestError(CoissuerError):
    status, title, type_slug = 400, "Bad request", "bad-request"


class UnauthorizedError(CoissuerError):
    status, title, type_slug = 401, "Authentication required", "unauthorized"


class ForbiddenError(CoissuerError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotFoundError(CoissuerError):
    status, title, type_slug = 404, "Not found", "not-found"


class ConflictError(CoissuerError):
    """The resource is not in a state that allows the request (stale version, repeat)."""

    status, title, type_slug = 409, "Conflict", "conflict"


class StaleVersionError(ConflictError):
    """Someone changed the record between our read and our write; reading again may succeed."""


class PayloadTooLargeError(CoissuerError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaTypeError(CoissuerError):
    status, title, type_slug = 415, "Unsupported media type", "unsupported-media-type"


class ValidationFailedError(CoissuerError):
    """The request is well formed but breaks a rule; names each bad field."""

    status, title, type_slug = 422, "Validation failed", "validation-failed"

    def __init__(self, detail: str = "", problems: list[FieldProblem] | None = None) -> None:
        super().__init__(detail or "The request has invalid fields")
        self.problems = problems or []


class RuleViolationError(CoissuerError):
    """A business rule refuses the request (e.g. department not live, form not allowed)."""

    status, title, type_slug = 422, "Rule violated", "rule-violated"


class TooManyRequestsError(CoissuerError):
    status, title, type_slug = 429, "Too many requests", "too-many-requests"


class TransientError(CoissuerError):
    """A dependency failed in a way that a retry may fix (throttling, timeout).

    State machines retry this class by name with backoff; the API answers 503.
    """

    status, title, type_slug = 503, "Service temporarily unavailable", "unavailable"


@dataclass
class ErrorReport:
    """What a failed workflow step records on the dossier for operations."""

    error: str
    cause: str
    extra: dict[str, str] = field(default_factory=dict)


class ReceiptProviderError(CoissuerError):
    """The receipt provider refused a receipt for good (credentials, data, series).

    Retrying cannot help: the workflow leaves the receipt step for operations.
    """

    status, title, type_slug = 502, "Receipt provider refused", "receipt-provider-refused"
