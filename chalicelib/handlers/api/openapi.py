"""OpenAPI 3.1 from the route table and the same pydantic models the routes validate with.

Each route is described once by a `RouteSpec`; the document and the human-readable page are
generated from those specs, so the published schema cannot drift from what is enforced.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each bad field by JSON pointer.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
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


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    summary: str
    roles: tuple[str, ...]
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    query: tuple[str, ...] = ()
    idempotent_create: bool = False
    errors: tuple[int, ...] = field(default=(400, 401, 403, 404, 409, 422))


def openapi_document(routes: list[RouteSpec], title: str, version: str) -> dict[str, Any]:
    models = {m for r in routes for m in (r.request, r.response) if m is not None}
    keyed: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (model, "validation") for model in sorted(models, key=lambda m: m.__name__)
    ]
    _, schemas = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
    components = {**schemas.get("$defs", {}), "Problem": PROBLEM_SCHEMA}

    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def _operation(route: RouteSpec) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(route.path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in route.query
    ]
    if route.idempotent_create:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A retry within 24 h gets the first response.",
                "schema": {"type": "string", "maxLength": 100},
            }
        )

    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": _operation_id(route),
        "parameters": parameters,
        "x-roles": list(route.roles),
        "responses": {str(route.status): _content(route.response, "OK")},
    }
    if route.roles:
        operation["security"] = [{"bearer": []}]
    if route.request is not None:
        operation["requestBody"] = {"required": True, **_content(route.request, "")}
    for status in route.errors:
        operation["responses"][str(status)] = {
            "description": "Problem",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    return operation


def _content(model: type[BaseModel] | None, description: str) -> dict[str, Any]:
    if model is None:
        return {"description": description or "No content"}
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation_id(route: RouteSpec) -> str:
    words = re.sub(r"[{}]", "", route.path).strip("/").replace("/", "_").replace("-", "_")
    return f"{route.method.lower()}_{words}"


def api_page(document: dict[str, Any]) -> str:
    """A plain HTML page listing every route, who may call it and what it takes."""
    rows = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            model = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            rows.append(
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td>"
                "<td>{}</td></tr>".format(
                    html.escape(method.upper()),
                    html.escape(path),
                    html.escape(operation["summary"]),
                    html.escape(", ".join(operation["x-roles"]) or "anyone"),
                    html.escape(model or "-"),
                )
            )
    title = html.escape(document["info"]["title"])
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        "</head><body>"
        f"<h1>{title}</h1><p>Machine-readable: <a href='/openapi.json'>/openapi.json</a>. "
        "Errors are <code>application/problem+json</code> with a JSON pointer per bad field.</p>"
        "<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Who</th>"
        "<th>Body</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></body></html>"
    )
