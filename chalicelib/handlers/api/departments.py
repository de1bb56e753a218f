"""Department routes: the public directory, onboarding for operations, a read-only view for
auditors."""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.departments import (
    Department,
    DepartmentDetails,
    DepartmentEvent,
    DepartmentState,
    Gate,
)
from chalicelib.domain.errors import FieldProblem, ValidationFailedError
from chalicelib.domain.identity import PUBLIC, Access, Role
from chalicelib.handlers.api.routing import Call, endpoint
from chalicelib.services.departments import DirectoryEntry, EvidenceRecord, Readiness
from chalicelib.wiring import container

blueprint = Blueprint(__name__)

OPERATIONS = Access.only(Role.OPERATIONS)
OPERATIONS_AND_AUDITORS = Access.only(Role.OPERATIONS, Role.AUDITOR)
_TAGS = ("departments",)


class DirectoryView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    departments: list[DirectoryEntry]


class ReadinessView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    departments: list[Readiness]


class SeedView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    added: list[str]


class HistoryView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    events: list[DepartmentEvent]


class MoveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    state: DepartmentState
    reason: str | None = Field(default=None, max_length=500)


@endpoint(
    blueprint,
    "/directory",
    "GET",
    access=PUBLIC,
    summary="Live issuing departments, the forms they issue and their published contacts",
    response=DirectoryView,
    tags=("public",),
)
def directory(call: Call) -> DirectoryView:
    # NOTE: a stage lists the live departments of its own table, not those of other stages.
    return DirectoryView(departments=container().departments.directory())


@endpoint(
    blueprint,
    "/operations/departments",
    "GET",
    access=OPERATIONS_AND_AUDITORS,
    summary="Readiness of every department at a glance",
    response=ReadinessView,
    tags=_TAGS,
)
def readiness(call: Call) -> ReadinessView:
    return ReadinessView(departments=container().departments.readiness())


@endpoint(
    blueprint,
    "/operations/registry/seed",
    "POST",
    access=OPERATIONS,
    summary="Store every registry issuer not yet stored, as pending",
    response=SeedView,
    tags=_TAGS,
)
def seed_registry(call: Call) -> SeedView:
    return SeedView(added=container().departments.seed_registry(call.caller.actor))


@endpoint(
    blueprint,
    "/operations/departments/{code}",
    "PUT",
    access=OPERATIONS,
    summary="Onboard a department from the registry, or update its details",
    body=DepartmentDetails,
    response=Department,
    tags=_TAGS,
)
def onboard(call: Call, code: str) -> Department:
    return container().departments.onboard(code, call.body, call.caller.actor)


@endpoint(
    blueprint,
    "/operations/departments/{code}",
    "GET",
    access=OPERATIONS_AND_AUDITORS,
    summary="One department's profile, gates and evidence",
    response=Department,
    tags=_TAGS,
)
def department(call: Call, code: str) -> Department:
    return container().departments.get(code)


@endpoint(
    blueprint,
    "/operations/departments/{code}/gates/{gate}",
    "PUT",
    access=OPERATIONS,
    summary="Record the evidence that a readiness gate holds",
    body=EvidenceRecord,
    response=Department,
    tags=_TAGS,
)
def record_evidence(call: Call, code: str, gate: str) -> Department:
    return container().departments.record_evidence(code, _gate(gate), call.body, call.caller.actor)


@endpoint(
    blueprint,
    "/operations/departments/{code}/moves",
    "POST",
    access=OPERATIONS,
    summary="Move a department to another state; refused, naming missing gates, unless ready",
    body=MoveRequest,
    response=Department,
    tags=_TAGS,
)
def move(call: Call, code: str) -> Department:
    return container().departments.move(code, call.body.state, call.caller.actor, call.body.reason)


@endpoint(
    blueprint,
    "/operations/departments/{code}/history",
    "GET",
    access=OPERATIONS_AND_AUDITORS,
    summary="Audit trail of one department",
    response=HistoryView,
    tags=_TAGS,
)
def history(call: Call, code: str) -> HistoryView:
    return HistoryView(events=container().departments.history(code))


def _gate(name: str) -> Gate:
    try:
        return Gate(name)
    except ValueError as error:
        known = ", ".join(gate.value for gate in Gate)
        raise ValidationFailedError(
            "Unknown readiness gate", [FieldProblem("/path/gate", f"one of {known}")]
        ) from error
