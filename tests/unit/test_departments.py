from datetime import date

import pytest
from pydantic import ValidationError

from chalicelib.domain.departments import (
    ALL_GATES,
    GATES_FOR_MOVE,
    Contact,
    ContactRole,
    DepartmentDetails,
    DepartmentState,
    FeeAccount,
    Gate,
    ReceiptSeries,
)
from chalicelib.domain.errors import RuleViolationError
from tests.unit.department_examples import contacts, evidence, full_details, onboarded, seeded

SANDBOX_GATES = GATES_FOR_MOVE[(DepartmentState.PENDING, DepartmentState.SANDBOX)]


def test_pending_department_with_sandbox_gates_moves_to_sandbox():
    department = onboarded(gates=SANDBOX_GATES)

    moved = department.moved_to(DepartmentState.SANDBOX)

    assert moved.state is DepartmentState.SANDBOX
    assert moved.is_sandbox and moved.may_issue


@pytest.mark.parametrize("missing", SANDBOX_GATES)
def test_move_to_sandbox_is_refused_naming_each_missing_gate(missing):
    department = onboarded(gates=tuple(gate for gate in SANDBOX_GATES if gate != missing))

    with pytest.raises(RuleViolationError) as refusal:
        department.moved_to(DepartmentState.SANDBOX)

    assert refusal.value.context["missing_gates"] == [missing.value]
    assert missing.value in refusal.value.detail


@pytest.mark.parametrize("missing", ALL_GATES)
def test_move_to_live_is_refused_naming_each_missing_gate(missing):
    department = onboarded(gates=tuple(gate for gate in ALL_GATES if gate != missing))
    department = department.model_copy(update={"state": DepartmentState.SANDBOX})

    with pytest.raises(RuleViolationError) as refusal:
        department.moved_to(DepartmentState.LIVE)

    assert refusal.value.context["missing_gates"] == [missing.value]


def test_refusal_lists_all_missing_gates_of_a_bare_department():
    with pytest.raises(RuleViolationError) as refusal:
        seeded().moved_to(DepartmentState.SANDBOX)

    assert refusal.value.context["missing_gates"] == [gate.value for gate in SANDBOX_GATES]
    assert refusal.value.context["missing_details"] == ["allowed_forms"]


def test_moves_outside_the_lifecycle_are_refused_with_the_allowed_ones():
    with pytest.raises(RuleViolationError) as refusal:
        onboarded().moved_to(DepartmentState.LIVE)

    assert refusal.value.context["allowed"] == ["sandbox"]


def test_live_department_can_be_suspended_and_reinstated():
    live = onboarded().model_copy(update={"state": DepartmentState.LIVE})

    suspended = live.moved_to(DepartmentState.SUSPENDED)
    reinstated = suspended.moved_to(DepartmentState.LIVE)

    assert not suspended.may_issue
    assert reinstated.state is DepartmentState.LIVE


def test_evidence_alone_does_not_hold_a_gate_whose_profile_fact_is_missing():
    department = seeded().with_evidence(Gate.FEE_ACCOUNT_CONTRACT, evidence())

    assert not department.gate_holds(Gate.FEE_ACCOUNT_CONTRACT)
    assert department.gate_fact_problems(Gate.FEE_ACCOUNT_CONTRACT) == ["fee_account"]


def test_signing_gate_needs_a_certificate_for_every_leader():
    leader_without_certificate = Contact(
        name="Phạm Văn Dũng",
        role=ContactRole.SIGNING_LEADER,
        phone="0903123456",
        email="dung@example.vn",
    )
    department = onboarded().with_details(
        DepartmentDetails(contacts=(*contacts(), leader_without_certificate))
    )

    assert department.missing_gates() == [Gate.SIGNING_CERTIFICATES_REGISTERED]
    assert department.gate_fact_problems(Gate.SIGNING_CERTIFICATES_REGISTERED) == [
        "signing certificate of Phạm Văn Dũng"
    ]


def test_contacts_gate_needs_every_role():
    department = onboarded().with_details(DepartmentDetails(contacts=contacts()[:2]))

    assert department.gate_fact_problems(Gate.CONTACTS_COMPLETE) == ["technical_focal_point"]


def test_phone_numbers_are_validated_as_vietnamese_and_stored_in_e164():
    contact = contacts()[0]

    assert contact.phone == "+84912345678"
    with pytest.raises(ValidationError, match="Vietnamese"):
        Contact(
            name="X",
            role=ContactRole.REVIEW_SPECIALIST,
            phone="+1 650 253 0000",
            email="x@example.vn",
        )
    with pytest.raises(ValidationError):
        Contact(name="X", role=ContactRole.REVIEW_SPECIALIST, phone="0912", email="x@example.vn")


def test_details_reject_bad_tax_codes_issuer_codes_and_emails():
    with pytest.raises(ValidationError):
        DepartmentDetails(tax_code="12345")
    with pytest.raises(ValidationError, match="check digit"):
        DepartmentDetails(tax_code="0200123456")
    with pytest.raises(ValidationError):
        DepartmentDetails(issuer_code="H")
    with pytest.raises(ValidationError):
        Contact(name="X", role=ContactRole.REVIEW_SPECIALIST, phone="0912345678", email="no")


def test_details_update_only_the_fields_given():
    department = onboarded()

    updated = department.with_details(DepartmentDetails(issuer_code="HP"))

    assert updated.issuer_code == "HP"
    assert updated.fee_account == department.fee_account


def test_fee_collection_and_e_receipts_start_on_their_go_live_dates():
    department = seeded().with_details(full_details())

    assert not department.collects_fees_on(date(2026, 9, 30))
    assert department.collects_fees_on(date(2026, 10, 1))
    assert department.issues_e_receipts_on(date(2026, 10, 1))
    assert not seeded().collects_fees_on(date(2030, 1, 1))


def test_changing_the_fee_account_drops_its_contract_and_connection_evidence():
    department = onboarded()

    changed = department.with_details(
        DepartmentDetails(
            fee_account=FeeAccount(
                bank_bin="970436", account_number="0011004455667", account_name="SCT HP"
            )
        )
    )

    assert changed.missing_gates() == [Gate.FEE_ACCOUNT_CONTRACT, Gate.BANK_CONNECTION_TESTED]


def test_unrelated_detail_changes_keep_the_evidence():
    department = onboarded()

    changed = department.with_details(DepartmentDetails(allowed_forms=("D",)))

    assert changed.missing_gates() == []


def test_live_department_refuses_a_change_that_breaks_a_gate():
    live = onboarded().model_copy(update={"state": DepartmentState.LIVE})

    with pytest.raises(RuleViolationError, match="suspend"):
        live.with_details(DepartmentDetails(receipt=ReceiptSeries(form_number="2", series="X")))


def test_sandbox_draws_reference_numbers_from_a_test_series():
    department = onboarded()

    sandbox = department.moved_to(DepartmentState.SANDBOX)
    live = sandbox.moved_to(DepartmentState.LIVE)

    assert sandbox.reference_series == "TEST-31"
    assert live.reference_series == "31"


def test_a_department_may_only_be_allowed_forms_the_catalogue_knows():
    with pytest.raises(ValidationError) as raised:
        DepartmentDetails(allowed_forms=("D", "Z9", "EUR.1"))

    [problem] = raised.value.errors()
    assert problem["loc"] == ("allowed_forms",)
    assert problem["msg"].endswith("forms not in the catalogue: ['Z9']")


def test_every_catalogue_form_may_be_allowed():
    from chalicelib.domain.forms import catalogue

    details = DepartmentDetails(allowed_forms=tuple(catalogue().codes()))

    assert details.allowed_forms == tuple(catalogue().codes())
