"""OpenAPI 3.1 and a readable API page, generated from `routing.ROUTES`.

Every route is declared once through `endpoint`; the document uses the same pydantic models
the routes validate with, so the published schema cannot drift from what is enforced, and a
new blueprint's routes appear here without further work.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel
from pydantic.json_schema import (
    GenerateJsonSchema,
    JsonSchemaMode,
    JsonSchemaValue,
    models_json_schema,
)
from pydantic_core import core_schema

from chalicelib.domain.identity import PUBLIC, Access
from chalicelib.handlers.api.routing import ROUTES, Call, RouteSpec, endpoint
from chalicelib.wiring import container

blueprint = Blueprint(__name__)

TITLE = "coissuer API"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each bad field by JSON pointer.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "correlation_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
                "required": ["pointer", "detail"],
            },
        },
    },
    "required": ["type", "title", "status"],
}
_PATH_PARAMETER = re.compile(r"\{(\w+)\}")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Refs = Mapping[tuple[Any, JsonSchemaMode], dict[str, Any]]


class _DocumentSchema(GenerateJsonSchema):
    def time_schema(self, schema: core_schema.TimeSchema) -> JsonSchemaValue:
        # Working hours are wall-clock times without an offset ("08:00:00"); JSON Schema's
        # `time` format (RFC 3339 full-time) requires one, so validators refuse them.
        return {"type": "string", "format": "partial-time"}


def openapi_document(routes: list[RouteSpec], title: str, version: str) -> dict[str, Any]:
    keyed = _models(routes)
    refs, schemas = models_json_schema(
        keyed, ref_template="#/components/schemas/{model}", schema_generator=_DocumentSchema
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": {**schemas.get("$defs", {}), "Problem": PROBLEM_SCHEMA},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def api_page(document: dict[str, Any]) -> str:
    """A plain HTML page listing every route, who may call it and what it takes."""
    rows = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            bodies = [
                schema.get("$ref", "").rsplit("/", 1)[-1] or media
                for media, entry in content.items()
                for schema in [entry.get("schema", {})]
            ]
            rows.append(
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td>"
                "<td>{}</td></tr>".format(
                    html.escape(method.upper()),
                    html.escape(path),
                    html.escape(operation["summary"]),
                    html.escape(", ".join(operation["x-roles"]) or "anyone"),
                    html.escape(", ".join(bodies) or "-"),
                )
            )
    title = html.escape(document["info"]["title"])
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        "</head><body>"
        f"<h1>{title}</h1><p>Machine-readable: <a href='/openapi.json'>/openapi.json</a>. "
        "Errors are <code>application/problem+json</code> with a JSON pointer per bad field. "
        "Creating <code>POST</code> routes accept an <code>Idempotency-Key</code> header.</p>"
        "<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Who</th>"
        "<th>Body</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></body></html>"
    )


@endpoint(
    blueprint,
    "/openapi.json",
    "GET",
    access=PUBLIC,
    summary="This API as an OpenAPI 3.1 document",
    tags=("public",),
)
def openapi_json(call: Call) -> dict[str, Any]:
    return openapi_document(ROUTES, TITLE, container().settings.APP_VERSION)


@endpoint(
    blueprint,
    "/docs",
    "GET",
    access=PUBLIC,
    summary="This API as a readable page",
    produces=("text/html",),
    tags=("public",),
)
def docs_page(call: Call) -> Response:
    page = api_page(openapi_document(ROUTES, TITLE, container().settings.APP_VERSION))
    return Response(body=page, status_code=200, headers={"Content-Type": "text/html"})


def _models(routes: list[RouteSpec]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    keyed: set[tuple[type[BaseModel], JsonSchemaMode]] = set()
    for route in routes:
        keyed.update((model, "validation") for model in (route.body, route.query) if model)
        if route.response is not None:
            keyed.add((route.response, "serialization"))
    return sorted(keyed, key=lambda pair: (pair[0].__name__, pair[1]))


def _operation(route: RouteSpec, refs: Refs) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": _operation_id(route),
        "tags": list(route.tags),
        "parameters": _parameters(route),
        "x-roles": _roles(route.access),
        "responses": {str(route.status): _success(route, refs)},
    }
    if not (route.access.public or route.access.bank):
        operation["security"] = [{"bearer": []}]
    body = _request_body(route, refs)
    if body:
        operation["requestBody"] = body
    for status in _problem_statuses(route):
        operation["responses"][str(status)] = {
            "description": "Problem",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    return operation


def _parameters(route: RouteSpec) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(route.path)
    ]
    if route.query is not None:
        schema = route.query.model_json_schema()
        required = set(schema.get("required", []))
        parameters += [
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]
    if route.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A retry within 24 h gets the first response.",
                "schema": {"type": "string", "maxLength": 100},
            }
        )
    return parameters


def _request_body(route: RouteSpec, refs: Refs) -> dict[str, Any] | None:
    if route.body is not None:
        schema = refs[(route.body, "validation")]
        return {"required": True, "content": {"application/json": {"schema": schema}}}
    if route.method in _WRITES and route.content_types != ("application/json",):
        content = {media: {"schema": {"type": "string"}} for media in route.content_types}
        return {"required": True, "content": content}
    return None


def _success(route: RouteSpec, refs: Refs) -> dict[str, Any]:
    if route.response is None:
        content: dict[str, Any] = {media: {} for media in route.produces}
        return {"description": "OK", "content": content}
    schema = refs[(route.response, "serialization")]
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _problem_statuses(route: RouteSpec) -> list[int]:
    statuses = {400} if route.body or route.query or route.method in _WRITES else set()
    if not (route.access.public or route.access.bank):
        statuses |= {401, 403}
    if route.access.bank:
        # A bank's request: a bad signature, an oversized or non-JSON body, a busy store.
        statuses |= {401, 413, 415, 503}
    if _PATH_PARAMETER.search(route.path):
        statuses |= {404, 422}  # path values are validated and may name nothing
    if route.body is not None:
        statuses.add(404)  # a body may name what does not exist (a trader, a certificate)
    if route.method in _WRITES:
        statuses |= {409, 422}
    if route.body is not None or route.query is not None:
        statuses.add(422)
    return sorted(statuses)


def _roles(access: Access) -> list[str]:
    if access.public:
        return []
    if access.bank:
        return ["bank"]
    return sorted(role.value for role in access.roles)


def _operation_id(route: RouteSpec) -> str:
    words = re.sub(r"[{}]", "", route.path).strip("/").replace("/", "_").replace("-", "_")
    return f"{route.method.lower()}_{words.replace('.', '_')}"
