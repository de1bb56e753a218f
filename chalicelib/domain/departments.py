"""Issuing departments: their profile, readiness gates and the states they move through.

A department issues only when its readiness gates hold (DOMAIN.md, "Department readiness").
Operations record evidence for each gate; a state move is refused, naming every missing gate,
unless the gates that move needs hold. What each move needs:

- pending -> sandbox: the legal basis (People's Committee assignment and the director's
  authorisation) and complete contacts. Sandbox dossiers are test dossiers: they take no real
  money, issue no real receipt and are signed with test keys, so the bank, e-receipt and
  signing-certificate gates are not needed yet.
- sandbox -> live: all eight gates, including the passed sandbox test.
- live -> suspended: no gate; a reason is required.
- suspended -> live: all eight gates again, since suspension often follows a lapsed one
  (an expired signing certificate, a closed account).

Some gates also rest on profile facts, checked with the evidence: the fee-account gate needs
the fee account, the e-receipt gate the receipt form and series, the signing gate a
certificate reference for every signing leader, the contacts gate a signing leader, a review
specialist and a technical focal point. Going to sandbox or live also needs the forms the
department may issue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.domain.errors import RuleViolationError
from chalicelib.domain.receipts import ReceiptProviderSetup
from chalicelib.domain.traders import normalise_tax_code
from chalicelib.domain.working_calendar import DaysOff, WorkingCalendar, WorkingHours

MINISTRY_CODE = "MOIT-XNK"

_DEPARTMENT_CODE = r"^[A-Z][A-Z0-9-]{1,31}$"


class DepartmentState(StrEnum):
    PENDING = "pending"
    SANDBOX = "sandbox"
    LIVE = "live"
    SUSPENDED = "suspended"


class DepartmentKind(StrEnum):
    MINISTRY = "ministry"
    PROVINCE = "province"


class Gate(StrEnum):
    LEGAL_ASSIGNMENT = "legal_assignment"
    DIRECTOR_AUTHORISATION = "director_authorisation"
    FEE_ACCOUNT_CONTRACT = "fee_account_contract"
    BANK_CONNECTION_TESTED = "bank_connection_tested"
    E_RECEIPT_REGISTERED = "e_receipt_registered"
    SIGNING_CERTIFICATES_REGISTERED = "signing_certificates_registered"
    CONTACTS_COMPLETE = "contacts_complete"
    SANDBOX_TEST_PASSED = "sandbox_test_passed"


ALL_GATES: tuple[Gate, ...] = tuple(Gate)

GATES_FOR_MOVE: dict[tuple[DepartmentState, DepartmentState], tuple[Gate, ...]] = {
    (DepartmentState.PENDING, DepartmentState.SANDBOX): (
        Gate.LEGAL_ASSIGNMENT,
        Gate.DIRECTOR_AUTHORISATION,
        Gate.CONTACTS_COMPLETE,
    ),
    (DepartmentState.SANDBOX, DepartmentState.LIVE): ALL_GATES,
    (DepartmentState.LIVE, DepartmentState.SUSPENDED): (),
    (DepartmentState.SUSPENDED, DepartmentState.LIVE): ALL_GATES,
}

ISSUING_STATES = frozenset({DepartmentState.SANDBOX, DepartmentState.LIVE})


class ContactRole(StrEnum):
    SIGNING_LEADER = "signing_leader"
    REVIEW_SPECIALIST = "review_specialist"
    TECHNICAL_FOCAL_POINT = "technical_focal_point"


class _Frozen(BaseModel):
    # Schemas are built on first use, not at import: most functions never touch departments.
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, defer_build=True
    )


class Contact(_Frozen):
    name: str = Field(min_length=1, max_length=120)
    role: ContactRole
    title: str | None = Field(default=None, max_length=120)
    phone: str = Field(description="Vietnamese number; stored in E.164 form")
    zalo: bool = False
    email: str = Field(max_length=254)
    signing_certificate: str | None = Field(
        default=None,
        max_length=200,
        description="Reference of a signing leader's registered certificate (serial or key id)",
    )
    published: bool = Field(default=False, description="Shown in the public directory")

    @field_validator("phone")
    @classmethod
    def _vietnamese_phone(cls, phone: str) -> str:
        return vietnamese_phone_e164(phone)

    @field_validator("email")
    @classmethod
    def _deliverable_shape(cls, email: str) -> str:
        # Imported here: email-validator pulls in dnspython, a cold-start cost for every route.
        from email_validator import EmailNotValidError, validate_email

        try:
            return validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValueError(str(error)) from error


class FeeAccount(_Frozen):
    bank_bin: str = Field(pattern=r"^\d{6}$", description="NAPAS bank identification number")
    account_number: str = Field(pattern=r"^[0-9A-Z]{6,19}$")
    account_name: str = Field(min_length=1, max_length=100)


class ReceiptSeries(_Frozen):
    form_number: str = Field(min_length=1, max_length=20, description="Receipt template number")
    # Decree 123/2020: the series is letters followed by the year's last two digits.
    series: str = Field(pattern=r"^[A-Z]{1,6}(\d{2})?$", description="Receipt series (symbol)")
    # The e-receipt provider that makes the department's receipts legal (VNPT's service and
    # account); absent means the built-in issuer, which only sandbox may rely on.
    provider: ReceiptProviderSetup | None = None


class GateEvidence(_Frozen):
    document_number: str = Field(min_length=1, max_length=100)
    document_date: date
    recorded_by: str = Field(min_length=1, max_length=120)
    recorded_at: datetime
    s3_key: str | None = Field(default=None, max_length=1024, pattern=r"^[^/].*$")


class DepartmentDetails(_Frozen):
    """What operations provide when onboarding a department; every field may change later."""

    name_vi: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[ -~]+$")
    issuer_code: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2}$")
    tax_code: str | None = None
    fee_account: FeeAccount | None = None
    receipt: ReceiptSeries | None = None
    allowed_forms: tuple[str, ...] | None = Field(default=None, max_length=40)
    working_hours: WorkingHours | None = None
    days_off: DaysOff | None = None
    fee_collection_from: date | None = None
    e_receipts_from: date | None = None
    contacts: tuple[Contact, ...] | None = Field(default=None, max_length=100)

    @field_validator("tax_code")
    @classmethod
    def _valid_tax_code(cls, tax_code: str | None) -> str | None:
        return None if tax_code is None else normalise_tax_code(tax_code)

    @field_validator("allowed_forms")
    @classmethod
    def _form_codes(cls, forms: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if forms is None:
            return None
        from chalicelib.domain.forms import catalogue

        known = set(catalogue().codes())
        unknown = [form for form in forms if form not in known]
        if unknown:
            raise ValueError(f"forms not in the catalogue: {unknown}")
        return tuple(dict.fromkeys(forms))


class Department(_Frozen):
    code: str = Field(pattern=_DEPARTMENT_CODE)
    kind: DepartmentKind
    province_code: int | None = Field(default=None, ge=1, le=99)
    name_vi: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200, pattern=r"^[ -~]+$")
    issuer_code: str = Field(pattern=r"^[A-Z0-9]{2}$")
    tax_code: str | None = None
    fee_account: FeeAccount | None = None
    receipt: ReceiptSeries | None = None
    allowed_forms: tuple[str, ...] = ()
    working_hours: WorkingHours = Field(default_factory=WorkingHours)
    days_off: DaysOff = Field(default_factory=DaysOff)
    fee_collection_from: date | None = None
    e_receipts_from: date | None = None
    contacts: tuple[Contact, ...] = ()
    gates: dict[Gate, GateEvidence] = Field(default_factory=dict)
    state: DepartmentState = DepartmentState.PENDING
    version: int = Field(default=0, ge=0)

    def with_details(self, details: DepartmentDetails) -> Department:
        """The department with the given details; evidence about a changed fact is dropped
        (a new fee account needs its own contract and connection test), and a live
        department must keep every gate, so such a change waits for a suspension."""
        given = {name: value for name, value in details if value is not None}
        updated = self.model_copy(update=given)
        stale = {gate for gate in updated.gates if _evidence_outdated(self, updated, gate)}
        updated = updated.model_copy(
            update={"gates": {g: e for g, e in updated.gates.items() if g not in stale}}
        )
        if self.state is DepartmentState.LIVE and updated.missing_gates():
            raise RuleViolationError(
                f"{self.code} is live; suspend it before changing what its gates rest on",
                department=self.code,
                missing_gates=[gate.value for gate in updated.missing_gates()],
            )
        return updated

    def with_evidence(self, gate: Gate, evidence: GateEvidence) -> Department:
        return self.model_copy(update={"gates": {**self.gates, gate: evidence}})

    def moved_to(self, target: DepartmentState) -> Department:
        """This department in `target` state, or a refusal naming what is missing."""
        move = (self.state, target)
        if move not in GATES_FOR_MOVE:
            raise RuleViolationError(
                f"A department cannot move from {self.state} to {target}",
                department=self.code,
                allowed=[to.value for (frm, to) in GATES_FOR_MOVE if frm == self.state],
            )
        missing_gates = self.missing_gates(GATES_FOR_MOVE[move])
        missing_details = self._missing_details(target)
        if missing_gates or missing_details:
            raise RuleViolationError(
                _refusal(self.code, move, missing_gates, missing_details),
                department=self.code,
                missing_gates=[gate.value for gate in missing_gates],
                missing_details=missing_details,
            )
        return self.model_copy(update={"state": target})

    def missing_gates(self, gates: tuple[Gate, ...] = ALL_GATES) -> list[Gate]:
        return [gate for gate in gates if not self.gate_holds(gate)]

    def gate_holds(self, gate: Gate) -> bool:
        return gate in self.gates and not self.gate_fact_problems(gate)

    def gate_fact_problems(self, gate: Gate) -> list[str]:
        """Profile facts a gate rests on that are missing, whatever evidence is recorded."""
        leaders = self.contacts_in(ContactRole.SIGNING_LEADER)
        if gate is Gate.FEE_ACCOUNT_CONTRACT and self.fee_account is None:
            return ["fee_account"]
        if gate is Gate.E_RECEIPT_REGISTERED and self.receipt is None:
            return ["receipt"]
        if gate is Gate.SIGNING_CERTIFICATES_REGISTERED:
            if not leaders:
                return ["signing leader"]
            return [
                f"signing certificate of {leader.name}"
                for leader in leaders
                if not leader.signing_certificate
            ]
        if gate is Gate.CONTACTS_COMPLETE:
            return [role.value for role in ContactRole if not self.contacts_in(role)]
        return []

    def contacts_in(self, role: ContactRole) -> list[Contact]:
        return [contact for contact in self.contacts if contact.role is role]

    @property
    def is_sandbox(self) -> bool:
        """Sandbox departments issue test certificates only (test series, specimen mark)."""
        return self.state is DepartmentState.SANDBOX

    @property
    def reference_series(self) -> str:
        """The series reference numbers are drawn from: a sandbox draws from a test series,
        so no test certificate consumes or collides with a real number."""
        return f"TEST-{self.issuer_code}" if self.is_sandbox else self.issuer_code

    @property
    def may_issue(self) -> bool:
        return self.state in ISSUING_STATES

    def collects_fees_on(self, day: date) -> bool:
        return self.fee_collection_from is not None and day >= self.fee_collection_from

    def issues_e_receipts_on(self, day: date) -> bool:
        return self.e_receipts_from is not None and day >= self.e_receipts_from

    def working_calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.working_hours, self.days_off)

    def _missing_details(self, target: DepartmentState) -> list[str]:
        if target in ISSUING_STATES and not self.allowed_forms:
            return ["allowed_forms"]
        return []


class DepartmentEvent(_Frozen):
    """One audited change to a department: who did what, when."""

    department: str
    at: datetime
    actor: str
    action: str
    version: int
    from_state: str | None = None
    to_state: str | None = None
    gate: str | None = None
    reason: str | None = None
    document_number: str | None = None


_GATE_FACTS: dict[Gate, Callable[[Department], object]] = {
    Gate.FEE_ACCOUNT_CONTRACT: lambda department: department.fee_account,
    Gate.BANK_CONNECTION_TESTED: lambda department: department.fee_account,
    Gate.E_RECEIPT_REGISTERED: lambda department: department.receipt,
    Gate.SIGNING_CERTIFICATES_REGISTERED: lambda department: sorted(
        (leader.name, leader.signing_certificate or "")
        for leader in department.contacts_in(ContactRole.SIGNING_LEADER)
    ),
}


def _evidence_outdated(before: Department, after: Department, gate: Gate) -> bool:
    fact = _GATE_FACTS.get(gate)
    return fact is not None and fact(before) != fact(after)


def vietnamese_phone_e164(phone: str) -> str:
    """The number in E.164 form if it is a valid Vietnamese number, else ValueError."""
    # Imported here: phonenumbers' metadata costs about 50 ms at import.
    import phonenumbers

    try:
        parsed = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException as error:
        raise ValueError("not a phone number") from error
    if not phonenumbers.is_valid_number(parsed) or (
        phonenumbers.region_code_for_number(parsed) != "VN"
    ):
        raise ValueError("not a valid Vietnamese phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _refusal(
    code: str,
    move: tuple[DepartmentState, DepartmentState],
    missing_gates: list[Gate],
    missing_details: list[str],
) -> str:
    parts = []
    if missing_gates:
        parts.append("missing gates: " + ", ".join(gate.value for gate in missing_gates))
    if missing_details:
        parts.append("missing details: " + ", ".join(missing_details))
    return f"{code} cannot move from {move[0]} to {move[1]}; " + "; ".join(parts)
