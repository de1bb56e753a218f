"""Declares HTTP routes with who may call them, what they take and what they return.

Every route goes through `endpoint`, which authenticates the caller, checks the role, parses
the body and query into pydantic models, calls the view and maps the result or the error.
The declarations form `ROUTES`, from which the OpenAPI document and the authorisation
matrix test are generated: a route cannot exist without saying who may call it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.domain.errors import (
    BadRequestError,
    CoissuerError,
    ForbiddenError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from chalicelib.domain.identity import Access, Principal
from chalicelib.handlers.api.problems import (
    internal_error_response,
    problem_response,
    validation_failure,
)
from chalicelib.telemetry import bind_invocation, bind_keys, logger
from chalicelib.wiring import container

JSON_TYPES = ["application/json"]


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    access: Access
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content_types: tuple[str, ...] = ("application/json",)
    produces: tuple[str, ...] = ("application/json",)
    tags: tuple[str, ...] = ()
    # Accepts an Idempotency-Key header (documented; the view runs the request once per key).
    idempotent: bool = False


ROUTES: list[RouteSpec] = []


@dataclass
class Call:
    """One HTTP request as a view sees it."""

    principal: Principal | None
    body: Any
    query: Any
    headers: dict[str, str]
    raw_body: bytes
    request_id: str
    now: datetime
    path_params: dict[str, str] = field(default_factory=dict)

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise UnauthorizedError("This route needs an authenticated caller")
        return self.principal

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    """A view's answer when it needs a status or headers other than the route's default."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def endpoint(
    blueprint: Blueprint,
    path: str,
    method: str,
    *,
    access: Access,
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    content_types: tuple[str, ...] = ("application/json",),
    produces: tuple[str, ...] = ("application/json",),
    tags: tuple[str, ...] = (),
    idempotent: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    spec = RouteSpec(
        path,
        method.upper(),
        access,
        summary,
        body,
        query,
        response,
        status,
        content_types,
        produces,
        tags,
        idempotent,
    )
    ROUTES.append(spec)

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        def handle(**path_params: str) -> Response:
            return _dispatch(blueprint, spec, view, path_params)

        handle.__name__ = view.__name__
        handle.__doc__ = view.__doc__
        blueprint.route(path, methods=[spec.method], content_types=list(content_types))(handle)
        return view

    return register


def _dispatch(
    blueprint: Blueprint, spec: RouteSpec, view: Callable[..., Any], path_params: dict[str, str]
) -> Response:
    request = blueprint.current_request
    request_id = _request_id(request)
    bind_invocation(request_id)
    try:
        call = _build_call(request, spec, request_id, path_params)
        result = view(call, **path_params)
        return _to_response(result, spec)
    except CoissuerError as error:
        if error.status >= 500:
            logger.warning("request degraded", error=type(error).__name__, path=spec.path)
        return problem_response(error, request_id)
    except Exception:
        logger.exception("request failed", path=spec.path, method=spec.method)
        return internal_error_response(request_id)


def _build_call(
    request: Any, spec: RouteSpec, request_id: str, path_params: dict[str, str]
) -> Call:
    headers = {key.lower(): value for key, value in (request.headers or {}).items()}
    principal = _authenticate(headers, spec.access)
    raw_body = request.raw_body or b""
    return Call(
        principal=principal,
        body=_parse_body(spec, raw_body, headers),
        query=_parse_query(spec, request.query_params or {}),
        headers=headers,
        raw_body=raw_body,
        request_id=request_id,
        now=container().clock(),
        path_params=path_params,
    )


def _authenticate(headers: dict[str, str], access: Access) -> Principal | None:
    authorization = headers.get("authorization", "")
    if access.public or access.bank:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Send a bearer token in the Authorization header")
    principal = container().token_verifier.verify(token.strip())
    if not access.admits(principal.role):
        raise ForbiddenError(f"The role {principal.role.value} may not call this route")
    bind_keys(actor_role=principal.role.value)
    return principal


def _parse_body(spec: RouteSpec, raw_body: bytes, headers: dict[str, str]) -> Any:
    if spec.body is None:
        return None
    content_type = headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type.lower() != "application/json":
        raise UnsupportedMediaTypeError("Send the body as application/json")
    if not raw_body:
        raise BadRequestError("The request needs a JSON body")
    try:
        return spec.body.model_validate_json(raw_body)
    except ValidationError as error:
        if any(entry["type"] == "json_invalid" for entry in error.errors()):
            raise BadRequestError("The body is not valid JSON") from error
        raise validation_failure(error) from error


def _parse_query(spec: RouteSpec, params: dict[str, str]) -> Any:
    if spec.query is None:
        return None
    try:
        return spec.query.model_validate(dict(params))
    except ValidationError as error:
        raise validation_failure(error, prefix="/query") from error


def _to_response(result: Any, spec: RouteSpec) -> Response:
    if isinstance(result, Response):
        return result
    reply = result if isinstance(result, Reply) else Reply(result, spec.status)
    body = reply.body
    content_type = "application/json"
    if isinstance(body, BaseModel):
        payload: str | bytes = body.model_dump_json(by_alias=True)
    elif isinstance(body, str | bytes):
        payload = body
        content_type = "text/plain; charset=utf-8"
    elif body is None:
        payload = ""
    else:
        payload = json.dumps(body, ensure_ascii=False, default=str)
    headers: dict[str, str | list[str]] = {"Content-Type": content_type, **reply.headers}
    return Response(body=payload, status_code=reply.status, headers=headers)


def _request_id(request: Any) -> str:
    context = getattr(request, "context", None) or {}
    return str(context.get("requestId") or uuid.uuid4())
