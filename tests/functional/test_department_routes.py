import json

import pytest

from chalicelib.domain.departments import ALL_GATES, GATES_FOR_MOVE, DepartmentState
from tests.stack import Stack, json_body
from tests.unit.department_examples import full_details

SANDBOX_GATES = GATES_FOR_MOVE[(DepartmentState.PENDING, DepartmentState.SANDBOX)]
LIVE_ONLY_GATES = tuple(gate for gate in ALL_GATES if gate not in SANDBOX_GATES)
PROVINCES = ("HAI-PHONG", "LANG-SON", "NINH-BINH", "QUANG-NINH", "CA-MAU")
EVIDENCE = {"document_number": "1234/QD-UBND", "document_date": "2026-08-01"}


@pytest.fixture
def ops(stack: Stack):
    headers = stack.auth("operations", subject="ops-lan")

    def call(method: str, path: str, body: object = None):
        payload = json.dumps(body) if body is not None else None
        return getattr(stack.http, method)(path, headers=headers, body=payload)

    return call


def onboard(ops, code: str = "HAI-PHONG") -> None:
    response = ops("put", f"/operations/departments/{code}", full_details().model_dump(mode="json"))
    assert response.status_code == 200, response.body


def record(ops, gates, code: str = "HAI-PHONG") -> None:
    for gate in gates:
        response = ops("put", f"/operations/departments/{code}/gates/{gate.value}", EVIDENCE)
        assert response.status_code == 200, response.body


def move(ops, state: str, code: str = "HAI-PHONG", reason: str | None = None):
    return ops("post", f"/operations/departments/{code}/moves", {"state": state, "reason": reason})


def test_full_onboarding_from_pending_to_live_shows_in_the_public_directory(stack, ops):
    assert json_body(ops("post", "/operations/registry/seed"))["added"][0] == "MOIT-XNK"
    onboard(ops)
    record(ops, SANDBOX_GATES)

    to_sandbox = move(ops, "sandbox")
    record(ops, LIVE_ONLY_GATES)
    to_live = move(ops, "live")
    directory = stack.http.get("/directory")

    assert json_body(to_sandbox)["state"] == "sandbox"
    assert json_body(to_live)["state"] == "live"
    entries = json_body(directory)["departments"]
    assert directory.status_code == 200
    assert [entry["code"] for entry in entries] == ["HAI-PHONG"]
    assert entries[0]["forms"] == ["D", "E", "AK", "EUR.1"]
    assert {c["role"] for c in entries[0]["contacts"]} == {"signing_leader", "review_specialist"}
    history = json_body(ops("get", "/operations/departments/HAI-PHONG/history"))["events"]
    moves = [(e["from_state"], e["to_state"]) for e in history if e["action"] == "state_moved"]
    assert moves == [("pending", "sandbox"), ("sandbox", "live")]
    assert {e["actor"] for e in history} == {"operations:ops-lan"}


def test_move_to_sandbox_is_refused_naming_each_missing_gate(ops):
    # One department per gate, each lacking only that gate.
    departments = dict(zip(SANDBOX_GATES, PROVINCES, strict=False))
    for missing, code in departments.items():
        onboard(ops, code)
        record(ops, [gate for gate in SANDBOX_GATES if gate != missing], code)

    refusals = {missing: move(ops, "sandbox", code) for missing, code in departments.items()}

    for missing, response in refusals.items():
        assert response.status_code == 422
        assert json_body(response)["detail"].endswith(f"missing gates: {missing.value}")


def test_move_to_live_is_refused_naming_each_missing_gate(ops):
    departments = dict(zip(LIVE_ONLY_GATES, PROVINCES, strict=False))
    for missing, code in departments.items():
        onboard(ops, code)
        record(ops, [gate for gate in ALL_GATES if gate != missing], code)
        assert move(ops, "sandbox", code).status_code == 200

    refusals = {missing: move(ops, "live", code) for missing, code in departments.items()}

    for missing, response in refusals.items():
        assert response.status_code == 422
        assert json_body(response)["detail"].endswith(f"missing gates: {missing.value}")


def test_move_to_live_is_refused_when_contacts_became_incomplete(ops):
    onboard(ops)
    record(ops, ALL_GATES)
    assert move(ops, "sandbox").status_code == 200
    contacts = full_details().model_dump(mode="json")["contacts"][:2]
    ops("put", "/operations/departments/HAI-PHONG", {"contacts": contacts})

    response = move(ops, "live")

    assert response.status_code == 422
    assert json_body(response)["detail"].endswith("missing gates: contacts_complete")


def test_directory_is_public_and_staff_routes_keep_others_out(stack):
    specialist = stack.auth("specialist", subject="s-1", department="HAI-PHONG")

    directory = stack.http.get("/directory")
    as_specialist = stack.http.get("/operations/departments", headers=specialist)
    anonymous = stack.http.get("/operations/departments")

    assert directory.status_code == 200
    assert json_body(directory) == {"departments": []}
    assert as_specialist.status_code == 403
    assert anonymous.status_code == 401


def test_auditor_reads_readiness_and_history_but_cannot_change_anything(stack, ops):
    onboard(ops)
    auditor = stack.auth("auditor", subject="audit-1")

    overview = stack.http.get("/operations/departments", headers=auditor)
    profile = stack.http.get("/operations/departments/HAI-PHONG", headers=auditor)
    history = stack.http.get("/operations/departments/HAI-PHONG/history", headers=auditor)
    attempt = stack.http.post(
        "/operations/departments/HAI-PHONG/moves",
        headers=auditor,
        body=json.dumps({"state": "sandbox"}),
    )

    assert overview.status_code == profile.status_code == history.status_code == 200
    row = json_body(overview)["departments"][0]
    assert row["code"] == "HAI-PHONG"
    assert row["missing_for_next"] == [gate.value for gate in SANDBOX_GATES]
    assert attempt.status_code == 403


def test_unknown_gate_department_and_bad_details_are_refused(ops):
    onboard(ops)

    unknown_gate = ops("put", "/operations/departments/HAI-PHONG/gates/luck", EVIDENCE)
    unknown_department = ops("put", "/operations/departments/ATLANTIS", {"tax_code": "0200123457"})
    bad_phone = ops(
        "put",
        "/operations/departments/HAI-PHONG",
        {
            "contacts": [
                {"name": "A", "role": "review_specialist", "phone": "123", "email": "a@example.vn"}
            ]
        },
    )

    assert unknown_gate.status_code == 422
    assert json_body(unknown_gate)["errors"][0]["pointer"] == "/path/gate"
    assert bad_phone.status_code == 422
    assert json_body(bad_phone)["errors"][0]["pointer"] == "/contacts/0/phone"
    assert unknown_department.status_code == 404


def test_suspension_needs_a_reason_and_removes_the_department_from_the_directory(stack, ops):
    onboard(ops)
    record(ops, ALL_GATES)
    move(ops, "sandbox")
    move(ops, "live")

    without_reason = move(ops, "suspended")
    suspended = move(ops, "suspended", reason="signing certificate expired")

    assert without_reason.status_code == 422
    assert suspended.status_code == 200
    assert json_body(stack.http.get("/directory")) == {"departments": []}
