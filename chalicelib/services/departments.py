"""Use cases around issuing departments: onboarding, gate evidence, state moves, readiness,
and the public directory of live issuers. Every change is a conditional write with an
audit event beside it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Protocol

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.departments import (
    ALL_GATES,
    GATES_FOR_MOVE,
    ContactRole,
    Department,
    DepartmentDetails,
    DepartmentEvent,
    DepartmentState,
    Gate,
    GateEvidence,
)
from chalicelib.domain.errors import RuleViolationError, ValidationFailedError
from chalicelib.domain.registry import registry_unit, registry_units

logger = Logger(service="departments")

_NEXT_STATE = {
    DepartmentState.PENDING: DepartmentState.SANDBOX,
    DepartmentState.SANDBOX: DepartmentState.LIVE,
    DepartmentState.SUSPENDED: DepartmentState.LIVE,
}


class DepartmentRepository(Protocol):
    def get(self, code: str) -> Department: ...

    def find(self, code: str) -> Department | None: ...

    def create(self, department: Department, event: DepartmentEvent) -> None: ...

    def save(
        self, department: Department, previous: Department, event: DepartmentEvent
    ) -> None: ...

    def list_all(self) -> list[Department]: ...

    def list_in_state(self, state: DepartmentState) -> list[Department]: ...

    def events(self, code: str) -> list[DepartmentEvent]: ...


class EvidenceRecord(BaseModel):
    """Evidence for one gate as operations enter it."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, defer_build=True
    )

    document_number: str = Field(min_length=1, max_length=100)
    document_date: date
    s3_key: str | None = Field(default=None, max_length=1024, pattern=r"^[^/].*$")


class GateStatus(BaseModel):
    model_config = ConfigDict(defer_build=True)

    gate: Gate
    holds: bool
    document_number: str | None = None
    problems: list[str] = Field(default_factory=list)


class Readiness(BaseModel):
    """One department at a glance: where it stands and what its next move still needs."""

    model_config = ConfigDict(defer_build=True)

    code: str
    name_en: str
    state: DepartmentState
    issuer_code: str
    gates: list[GateStatus]
    next_state: DepartmentState | None
    missing_for_next: list[Gate]


class PublishedContact(BaseModel):
    model_config = ConfigDict(defer_build=True)

    name: str
    role: ContactRole
    title: str | None
    phone: str
    zalo: bool
    email: str


class DirectoryEntry(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str
    name_vi: str
    name_en: str
    province_code: int | None
    issuer_code: str
    forms: list[str]
    contacts: list[PublishedContact]


class DepartmentService:
    def __init__(
        self,
        store: DepartmentRepository,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        served: frozenset[str] = frozenset(),
    ) -> None:
        """`served`: the department codes this stage serves; empty serves the whole registry."""
        self._store = store
        self._clock = clock
        self._served = served

    def get(self, code: str) -> Department:
        return self._store.get(code)

    def seed_registry(self, actor: str) -> list[str]:
        """Create every registry issuer not yet stored, as pending; returns the codes added."""
        stored = {department.code for department in self._store.list_all()}
        added = []
        for unit in registry_units():
            if unit.code not in stored and self._serves(unit.code):
                department = unit.as_department().model_copy(update={"version": 1})
                self._store.create(department, self._event(department, actor, "seeded"))
                added.append(unit.code)
        logger.info("registry seeded", added=len(added))
        return added

    def onboard(self, code: str, details: DepartmentDetails, actor: str) -> Department:
        """Create the department from the registry with `details`, or update its details."""
        if not self._serves(code):
            raise RuleViolationError(f"This stage does not serve {code}", department=code)
        previous = self._store.find(code)
        if previous is None:
            created = registry_unit(code).as_department().with_details(details)
            created = created.model_copy(update={"version": 1})
            self._store.create(created, self._event(created, actor, "onboarded"))
            logger.info("department onboarded", department=code)
            return created
        updated = self._next_version(previous.with_details(details))
        self._store.save(updated, previous, self._event(updated, actor, "details_updated"))
        logger.info("department details updated", department=code)
        return updated

    def record_evidence(
        self, code: str, gate: Gate, record: EvidenceRecord, actor: str
    ) -> Department:
        previous = self._store.get(code)
        evidence = GateEvidence(**record.model_dump(), recorded_by=actor, recorded_at=self._clock())
        updated = self._next_version(previous.with_evidence(gate, evidence))
        event = self._event(
            updated, actor, "evidence_recorded", gate=gate, document_number=record.document_number
        )
        self._store.save(updated, previous, event)
        logger.info("gate evidence recorded", department=code, gate=gate.value)
        return updated

    def move(
        self, code: str, target: DepartmentState, actor: str, reason: str | None = None
    ) -> Department:
        """Move the department to `target`; a repeat of a done move changes nothing."""
        previous = self._store.get(code)
        if previous.state is target:
            return previous
        if target is DepartmentState.SUSPENDED and not (reason and reason.strip()):
            raise ValidationFailedError("A suspension needs a reason")
        updated = self._next_version(previous.moved_to(target))
        event = self._event(updated, actor, "state_moved", from_state=previous.state, reason=reason)
        self._store.save(updated, previous, event)
        logger.info("department moved", department=code, from_state=previous.state, to_state=target)
        return updated

    def readiness(self) -> list[Readiness]:
        return [_readiness(department) for department in self._store.list_all()]

    def directory(self) -> list[DirectoryEntry]:
        live = self._store.list_in_state(DepartmentState.LIVE)
        return [_directory_entry(department) for department in live]

    def history(self, code: str) -> list[DepartmentEvent]:
        self._store.get(code)
        return self._store.events(code)

    def _serves(self, code: str) -> bool:
        return not self._served or code in self._served

    def _next_version(self, department: Department) -> Department:
        return department.model_copy(update={"version": department.version + 1})

    def _event(
        self,
        department: Department,
        actor: str,
        action: str,
        gate: Gate | None = None,
        from_state: DepartmentState | None = None,
        reason: str | None = None,
        document_number: str | None = None,
    ) -> DepartmentEvent:
        return DepartmentEvent(
            department=department.code,
            at=self._clock(),
            actor=actor,
            action=action,
            version=department.version,
            from_state=from_state,
            to_state=department.state,
            gate=gate,
            reason=reason,
            document_number=document_number,
        )


def _readiness(department: Department) -> Readiness:
    next_state = _NEXT_STATE.get(department.state)
    needed = GATES_FOR_MOVE[(department.state, next_state)] if next_state else ()
    return Readiness(
        code=department.code,
        name_en=department.name_en,
        state=department.state,
        issuer_code=department.issuer_code,
        gates=[_gate_status(department, gate) for gate in ALL_GATES],
        next_state=next_state,
        missing_for_next=department.missing_gates(needed),
    )


def _gate_status(department: Department, gate: Gate) -> GateStatus:
    evidence = department.gates.get(gate)
    problems = department.gate_fact_problems(gate)
    if evidence is None:
        problems = ["no evidence", *problems]
    return GateStatus(
        gate=gate,
        holds=department.gate_holds(gate),
        document_number=evidence.document_number if evidence else None,
        problems=problems,
    )


def _directory_entry(department: Department) -> DirectoryEntry:
    published = [contact for contact in department.contacts if contact.published]
    return DirectoryEntry(
        code=department.code,
        name_vi=department.name_vi,
        name_en=department.name_en,
        province_code=department.province_code,
        issuer_code=department.issuer_code,
        forms=list(department.allowed_forms),
        contacts=[
            PublishedContact(
                name=contact.name,
                role=contact.role,
                title=contact.title,
                phone=contact.phone,
                zalo=contact.zalo,
                email=contact.email,
            )
            for contact in published
        ],
    )
