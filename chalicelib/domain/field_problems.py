"""Turning pydantic's validation errors into field problems addressed by JSON pointers."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.domain.errors import FieldProblem, ValidationFailedError

ModelT = TypeVar("ModelT", bound=BaseModel)


def json_pointer(*parts: object) -> str:
    """RFC 6901 pointer: `~` and `/` inside a part are escaped."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "".join("/" + part for part in escaped)


def problems_of(error: ValidationError) -> list[FieldProblem]:
    return [FieldProblem(json_pointer(*item["loc"]), item["msg"]) for item in error.errors()]


def parse_model(model: type[ModelT], payload: Any) -> ModelT:
    """Validate a request body, naming every bad field; nothing else happens on failure."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailedError(problems=problems_of(exc)) from exc
