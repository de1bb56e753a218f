"""Example departments and evidence shared by the department tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalicelib.domain.departments import (
    ALL_GATES,
    Contact,
    ContactRole,
    Department,
    DepartmentDetails,
    FeeAccount,
    Gate,
    GateEvidence,
    ReceiptSeries,
)
from chalicelib.domain.registry import registry_unit

RECORDED_AT = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)


def contacts() -> tuple[Contact, ...]:
    return (
        Contact(
            name="Nguyễn Văn An",
            role=ContactRole.SIGNING_LEADER,
            title="Phó Giám đốc",
            phone="0912 345 678",
            zalo=True,
            email="an.nv@sct.haiphong.gov.vn",
            signing_certificate="5404FFFEB7033FB316D672201B7BA4FE",
            published=True,
        ),
        Contact(
            name="Trần Thị Bình",
            role=ContactRole.REVIEW_SPECIALIST,
            phone="+84 225 3842 111",
            email="binh.tt@sct.haiphong.gov.vn",
            published=True,
        ),
        Contact(
            name="Lê Minh Cường",
            role=ContactRole.TECHNICAL_FOCAL_POINT,
            phone="0987654321",
            email="cuong.lm@sct.haiphong.gov.vn",
        ),
    )


def full_details() -> DepartmentDetails:
    return DepartmentDetails(
        tax_code="0200123457",
        fee_account=FeeAccount(
            bank_bin="970407", account_number="19036688001011", account_name="SO CONG THUONG HP"
        ),
        receipt=ReceiptSeries(form_number="01BLP0-001", series="HP26"),
        allowed_forms=("D", "E", "AK", "EUR.1"),
        fee_collection_from=date(2026, 10, 1),
        e_receipts_from=date(2026, 10, 1),
        contacts=contacts(),
    )


def evidence(number: str = "123/QD-UBND") -> GateEvidence:
    return GateEvidence(
        document_number=number,
        document_date=date(2026, 8, 15),
        recorded_by="ops.lan",
        recorded_at=RECORDED_AT,
    )


def seeded(code: str = "HAI-PHONG") -> Department:
    return registry_unit(code).as_department()


def onboarded(code: str = "HAI-PHONG", gates: tuple[Gate, ...] = ALL_GATES) -> Department:
    department = seeded(code).with_details(full_details())
    for gate in gates:
        department = department.with_evidence(gate, evidence())
    return department
