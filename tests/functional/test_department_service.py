from datetime import UTC, date, datetime

import pytest

from chalicelib.adapters.department_store import DepartmentRecords, DepartmentStore
from chalicelib.domain.departments import (
    ALL_GATES,
    GATES_FOR_MOVE,
    DepartmentDetails,
    DepartmentEvent,
    DepartmentState,
    Gate,
)
from chalicelib.domain.errors import (
    ConflictError,
    NotFoundError,
    RuleViolationError,
    ValidationFailedError,
)
from chalicelib.services.departments import DepartmentService, EvidenceRecord
from tests.functional.department_table import department_table
from tests.unit.department_examples import full_details

NOW = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)
SANDBOX_GATES = GATES_FOR_MOVE[(DepartmentState.PENDING, DepartmentState.SANDBOX)]


@pytest.fixture
def table():
    yield from department_table()


@pytest.fixture
def store(table):
    return DepartmentStore(table)


@pytest.fixture
def service(store):
    return DepartmentService(store, clock=lambda: NOW)


def record(number: str = "45/QD-UBND") -> EvidenceRecord:
    return EvidenceRecord(document_number=number, document_date=date(2026, 8, 20))


def record_gates(service: DepartmentService, code: str, gates) -> None:
    for gate in gates:
        service.record_evidence(code, gate, record(), actor="ops.lan")


def test_seeding_stores_the_35_issuers_once(service):
    added = service.seed_registry(actor="ops.lan")
    again = service.seed_registry(actor="ops.lan")

    assert len(added) == 35
    assert again == []
    assert len(service.readiness()) == 35


def test_full_onboarding_from_pending_to_live_is_audited(service):
    service.onboard("HAI-PHONG", full_details(), actor="ops.lan")
    record_gates(service, "HAI-PHONG", SANDBOX_GATES)

    sandbox = service.move("HAI-PHONG", DepartmentState.SANDBOX, actor="ops.lan")
    record_gates(service, "HAI-PHONG", [g for g in ALL_GATES if g not in SANDBOX_GATES])
    live = service.move("HAI-PHONG", DepartmentState.LIVE, actor="ops.lan")

    assert sandbox.state is DepartmentState.SANDBOX
    assert live.state is DepartmentState.LIVE
    moves = [e for e in service.history("HAI-PHONG") if e.action == "state_moved"]
    assert [(e.from_state, e.to_state) for e in moves] == [
        ("pending", "sandbox"),
        ("sandbox", "live"),
    ]
    assert all(e.actor == "ops.lan" for e in moves)


def test_refused_move_names_missing_gates_and_writes_nothing(service, store):
    service.onboard("HAI-PHONG", full_details(), actor="ops.lan")
    record_gates(service, "HAI-PHONG", [Gate.LEGAL_ASSIGNMENT])
    before = store.get("HAI-PHONG")

    with pytest.raises(RuleViolationError) as refusal:
        service.move("HAI-PHONG", DepartmentState.SANDBOX, actor="ops.lan")

    assert refusal.value.context["missing_gates"] == [
        "director_authorisation",
        "contacts_complete",
    ]
    assert store.get("HAI-PHONG") == before


def test_evidence_is_stored_with_who_recorded_it_and_when(service):
    service.onboard("LANG-SON", full_details(), actor="ops.lan")

    department = service.record_evidence(
        "LANG-SON",
        Gate.LEGAL_ASSIGNMENT,
        EvidenceRecord(
            document_number="1234/QD-UBND",
            document_date=date(2026, 7, 1),
            s3_key="departments/LANG-SON/legal.pdf",
        ),
        actor="ops.minh",
    )

    evidence = department.gates[Gate.LEGAL_ASSIGNMENT]
    assert (evidence.recorded_by, evidence.recorded_at) == ("ops.minh", NOW)
    assert evidence.s3_key == "departments/LANG-SON/legal.pdf"


def test_directory_lists_only_live_issuers_with_published_contacts(service, store):
    service.seed_registry(actor="ops.lan")
    service.onboard("HAI-PHONG", full_details(), actor="ops.lan")
    record_gates(service, "HAI-PHONG", ALL_GATES)
    service.move("HAI-PHONG", DepartmentState.SANDBOX, actor="ops.lan")
    service.move("HAI-PHONG", DepartmentState.LIVE, actor="ops.lan")

    directory = service.directory()

    assert [entry.code for entry in directory] == ["HAI-PHONG"]
    assert directory[0].forms == ["D", "E", "AK", "EUR.1"]
    assert [contact.role for contact in directory[0].contacts] == [
        "signing_leader",
        "review_specialist",
    ]
    assert "signing_certificate" not in directory[0].contacts[0].model_dump()


def test_suspension_needs_a_reason_and_leaves_the_directory(service):
    service.onboard("HAI-PHONG", full_details(), actor="ops.lan")
    record_gates(service, "HAI-PHONG", ALL_GATES)
    service.move("HAI-PHONG", DepartmentState.SANDBOX, actor="ops.lan")
    service.move("HAI-PHONG", DepartmentState.LIVE, actor="ops.lan")

    with pytest.raises(ValidationFailedError):
        service.move("HAI-PHONG", DepartmentState.SUSPENDED, actor="ops.lan")
    service.move("HAI-PHONG", DepartmentState.SUSPENDED, actor="ops.lan", reason="cert expired")

    assert service.directory() == []


def test_repeated_move_changes_nothing(service):
    service.onboard("HAI-PHONG", full_details(), actor="ops.lan")
    record_gates(service, "HAI-PHONG", SANDBOX_GATES)
    first = service.move("HAI-PHONG", DepartmentState.SANDBOX, actor="ops.lan")

    second = service.move("HAI-PHONG", DepartmentState.SANDBOX, actor="ops.lan")

    assert second.version == first.version


def test_stale_write_is_a_conflict(service, store):
    service.onboard("HAI-PHONG", full_details(), actor="ops.lan")
    stale = store.get("HAI-PHONG")
    service.onboard("HAI-PHONG", DepartmentDetails(tax_code="0200999999"), actor="ops.lan")

    newer = stale.model_copy(update={"version": stale.version + 1})
    event = DepartmentEvent(
        department="HAI-PHONG", at=NOW, actor="ops.lan", action="details_updated", version=9
    )
    with pytest.raises(ConflictError):
        store.save(newer, stale, event)
    assert store.get("HAI-PHONG").tax_code == "0200999999"


def test_issuer_codes_stay_unique_across_departments(service, store):
    service.onboard("HAI-PHONG", full_details(), actor="ops.lan")
    service.onboard("LANG-SON", full_details(), actor="ops.lan")

    with pytest.raises(ConflictError):
        service.onboard("LANG-SON", DepartmentDetails(issuer_code="31"), actor="ops.lan")
    service.onboard("HAI-PHONG", DepartmentDetails(issuer_code="HP"), actor="ops.lan")
    service.onboard("LANG-SON", DepartmentDetails(issuer_code="31"), actor="ops.lan")

    assert store.get("LANG-SON").issuer_code == "31"


def test_unknown_department_is_not_found(service):
    with pytest.raises(NotFoundError):
        service.onboard("ATLANTIS", full_details(), actor="ops.lan")
    with pytest.raises(NotFoundError):
        service.move("HA-NOI", DepartmentState.SANDBOX, actor="ops.lan")


def test_a_province_stage_seeds_and_onboards_only_the_departments_it_serves(store):
    service = DepartmentService(store, clock=lambda: NOW, served=frozenset({"HAI-PHONG"}))

    added = service.seed_registry(actor="ops.lan")

    assert added == ["HAI-PHONG"]
    with pytest.raises(RuleViolationError, match="does not serve"):
        service.onboard("HA-NOI", full_details(), actor="ops.lan")


def test_dossier_service_reads_a_department_as_state_and_forms(service, store):
    service.onboard("HAI-PHONG", full_details(), actor="ops.lan")
    records = DepartmentRecords(store)

    record = records.get("HAI-PHONG")

    assert record["state"] == "pending"
    assert record["allowed_forms"] == ["D", "E", "AK", "EUR.1"]
    assert records.get("HA-NOI") is None
