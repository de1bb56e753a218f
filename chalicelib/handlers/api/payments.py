"""Payment routes: the exporter's payment order with its VietQR, and operations' suspense."""

from __future__ import annotations

import base64

from chalice import Blueprint
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from chalicelib.domain.errors import FieldProblem, ForbiddenError, ValidationFailedError
from chalicelib.domain.identity import Access, Role
from chalicelib.domain.payments import BankTransaction
from chalicelib.domain.vietqr import TransferInstructions
from chalicelib.handlers.api.routing import Call, endpoint
from chalicelib.wiring import container

blueprint = Blueprint(__name__)

PAYMENT_READERS = Access.only(
    Role.EXPORTER, Role.SPECIALIST, Role.LEADER, Role.OPERATIONS, Role.AUDITOR
)
OPERATIONS = Access.only(Role.OPERATIONS)
OPERATIONS_READ = Access.only(Role.OPERATIONS, Role.AUDITOR)


class PaymentOrderResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)
    dossier_id: str
    payment_reference: str
    status: str
    amount_vnd: int
    received_vnd: int
    remainder_vnd: int
    refund_due_vnd: int
    qr_payload: str
    qr_png_base64: str
    transfer: TransferInstructions


class SuspenseQuery(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    department: str | None = Field(default=None, min_length=1, max_length=20)
    after: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=50, ge=1, le=200)


class SuspenseItem(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    bank: str
    txn_id: str
    kind: str
    account: str
    amount: int
    currency: str
    note: str
    booked_at: AwareDatetime
    received_at: AwareDatetime
    reason: str | None
    payment_reference: str | None
    dossier_id: str | None


class SuspenseList(BaseModel):
    model_config = ConfigDict(defer_build=True)
    department: str
    items: list[SuspenseItem]
    next_after: str | None


class Assignment(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    dossier_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=3, max_length=500)


class AssignmentResult(BaseModel):
    model_config = ConfigDict(defer_build=True)
    bank: str
    txn_id: str
    dossier_id: str
    payment_reference: str
    outcome: str
    assigned_by: str
    assigned_at: AwareDatetime


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/payment",
    "GET",
    access=PAYMENT_READERS,
    summary="The dossier's payment order: amount, VietQR code and transfer instructions",
    response=PaymentOrderResponse,
    tags=("exporter",),
)
def payment_order(call: Call, dossier_id: str) -> PaymentOrderResponse:
    view = container().payments.payment_order_view(dossier_id, call.caller)
    order = view.order
    return PaymentOrderResponse(
        dossier_id=order.dossier_id,
        payment_reference=order.payment_reference,
        status=order.status.value,
        amount_vnd=order.amount_vnd,
        received_vnd=order.received_vnd,
        remainder_vnd=order.remainder_vnd,
        refund_due_vnd=order.refund_due_vnd,
        qr_payload=view.qr_payload,
        qr_png_base64=base64.b64encode(view.qr_png).decode("ascii"),
        transfer=view.instructions,
    )


@endpoint(
    blueprint,
    "/operations/payments/suspense",
    "GET",
    access=OPERATIONS_READ,
    summary="Bank events held for operations, oldest first",
    query=SuspenseQuery,
    response=SuspenseList,
    tags=("operations",),
)
def suspense(call: Call) -> SuspenseList:
    department = _department(call, call.query.department)
    items, next_after = container().payments.suspense(
        department, call.query.limit, call.query.after
    )
    return SuspenseList(
        department=department, items=[_item(item) for item in items], next_after=next_after
    )


@endpoint(
    blueprint,
    "/operations/payments/suspense/{bank}/{txn_id}/assignment",
    "POST",
    access=OPERATIONS,
    summary="Credit a held bank event to a dossier's payment order (audited)",
    body=Assignment,
    response=AssignmentResult,
    tags=("operations",),
)
def assign(call: Call, bank: str, txn_id: str) -> AssignmentResult:
    resolved = container().payments.assign_suspense(
        bank,
        txn_id,
        call.body.dossier_id,
        call.caller.actor,
        call.body.reason,
        call.now,
        department_scope=call.caller.department,
    )
    return AssignmentResult(
        bank=resolved.bank,
        txn_id=resolved.txn_id,
        dossier_id=resolved.dossier_id or "",
        payment_reference=resolved.payment_reference or "",
        outcome=resolved.outcome.value,
        assigned_by=resolved.assigned_by or "",
        assigned_at=resolved.assigned_at or call.now,
    )


def _department(call: Call, asked: str | None) -> str:
    # Operations staff of a department see only its items; national operations name one.
    own = call.caller.department
    if own is not None and asked not in (None, own):
        raise ForbiddenError("Operations staff see their own department's suspense items")
    department = own or asked
    if department is None:
        problem = FieldProblem("/query/department", "required for national operations")
        raise ValidationFailedError("Name the department", [problem])
    return department


def _item(transaction: BankTransaction) -> SuspenseItem:
    reason = transaction.suspense_reason.value if transaction.suspense_reason else None
    return SuspenseItem.model_validate(transaction.model_dump() | {"reason": reason})
