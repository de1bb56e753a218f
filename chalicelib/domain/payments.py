"""Payment orders and what a bank event does to them.

A payment order is the fee a submitted dossier owes, fixed at submission, payable into the
department's fee account under a payment reference. Bank events (a credit, its reversal, a
failed transfer) arrive in any order and any number of times; `decide` says what one event
does to an order, as a pure function. Money only accumulates: no event moves an order back
from paid or partially paid, and a reversal of a credited payment is flagged for operations
rather than undoing the payment silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from chalicelib.domain.departments import FeeAccount
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.fees import FeeKind

CURRENCY_VND = "VND"


class PaymentStatus(StrEnum):
    AWAITING = "awaiting_payment"
    PARTIAL = "partially_paid"
    PAID = "paid"


class PaymentFlag(StrEnum):
    """Facts operations must act on; flags are only ever added."""

    REFUND_DUE = "refund_due"
    REVERSAL_AFTER_CREDIT = "reversal_after_credit"


class EventKind(StrEnum):
    CREDIT = "credit"
    REVERSAL = "reversal"
    FAILED = "failed"


class Outcome(StrEnum):
    PAID = "paid"
    PARTIAL = "partial"
    OVERPAID = "overpaid"
    SUSPENSE = "suspense"
    REVERSAL_FLAGGED = "reversal_flagged"
    IGNORED = "ignored"


class SuspenseReason(StrEnum):
    UNKNOWN_REFERENCE = "unknown_reference"
    WRONG_ACCOUNT = "wrong_account"
    WRONG_CURRENCY = "wrong_currency"
    UNKNOWN_ORIGINAL = "unknown_original"


class PaymentOrder(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    dossier_id: str = Field(min_length=1)
    trader_tax_code: str = Field(min_length=1)
    department: str = Field(min_length=1)
    payment_reference: str = Field(min_length=1, max_length=25)
    fee_kind: FeeKind
    amount_vnd: int = Field(gt=0)
    account: FeeAccount
    status: PaymentStatus = PaymentStatus.AWAITING
    received_vnd: int = Field(default=0, ge=0)
    refund_due_vnd: int = Field(default=0, ge=0)
    reversed_vnd: int = Field(default=0, ge=0)
    flags: tuple[PaymentFlag, ...] = ()
    version: int = Field(default=0, ge=0)
    created_at: AwareDatetime
    paid_at: AwareDatetime | None = None
    task_token: str | None = None

    @property
    def remainder_vnd(self) -> int:
        return max(self.amount_vnd - self.received_vnd, 0)


class BankCredit(BaseModel):
    """One event the bank reports on a fee account: a credit, a reversal or a failure."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    bank: str = Field(min_length=1, max_length=20)
    txn_id: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$")
    account: str = Field(pattern=r"^[0-9A-Za-z]{1,19}$")
    amount: int = Field(gt=0, lt=10**13)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    note: str = Field(default="", max_length=500)
    booked_at: AwareDatetime
    kind: EventKind = EventKind.CREDIT
    original_txn_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._:-]{1,64}$")

    @model_validator(mode="after")
    def _reversal_names_its_original(self) -> BankCredit:
        if self.kind is EventKind.REVERSAL and not self.original_txn_id:
            raise ValueError("a reversal names the transaction it reverses (original_txn_id)")
        return self


@dataclass(frozen=True)
class PaymentDecision:
    """What one event does. `order` is the order's new state, None when it is unchanged."""

    outcome: Outcome
    order: PaymentOrder | None = None
    suspense_reason: SuspenseReason | None = None
    remainder_vnd: int = 0
    refund_due_vnd: int = 0
    became_paid: bool = False


def decide(
    order: PaymentOrder | None,
    event: BankCredit,
    bank_bin: str,
    original_credited: bool = False,
) -> PaymentDecision:
    """The outcome of one bank event for the order its note or original transaction names.

    `bank_bin` is the BIN of the bank that reported the event; `original_credited` says
    whether the transaction a reversal undoes was credited to this order.
    """
    if event.kind is EventKind.FAILED:
        return PaymentDecision(Outcome.IGNORED)
    if event.kind is EventKind.REVERSAL:
        return _reversal(order, event, original_credited)
    if order is None:
        return PaymentDecision(Outcome.SUSPENSE, suspense_reason=SuspenseReason.UNKNOWN_REFERENCE)
    if event.currency != CURRENCY_VND:
        return PaymentDecision(Outcome.SUSPENSE, suspense_reason=SuspenseReason.WRONG_CURRENCY)
    if (bank_bin, event.account) != (order.account.bank_bin, order.account.account_number):
        return PaymentDecision(Outcome.SUSPENSE, suspense_reason=SuspenseReason.WRONG_ACCOUNT)
    return credit(order, event.amount, event.booked_at)


def credit(order: PaymentOrder, amount_vnd: int, booked_at: datetime) -> PaymentDecision:
    """Add money to an order: partial until the amount is reached, any excess due back."""
    received = order.received_vnd + amount_vnd
    if received < order.amount_vnd:
        updated = _evolve(order, status=PaymentStatus.PARTIAL, received_vnd=received)
        return PaymentDecision(Outcome.PARTIAL, updated, remainder_vnd=updated.remainder_vnd)

    excess = received - order.amount_vnd
    updated = _evolve(
        order,
        status=PaymentStatus.PAID,
        received_vnd=received,
        refund_due_vnd=excess,
        flags=_with_flags(order.flags, (PaymentFlag.REFUND_DUE,) if excess else ()),
        paid_at=order.paid_at or booked_at,
    )
    return PaymentDecision(
        Outcome.OVERPAID if excess else Outcome.PAID,
        updated,
        refund_due_vnd=excess,
        became_paid=order.status is not PaymentStatus.PAID,
    )


def _reversal(
    order: PaymentOrder | None, event: BankCredit, original_credited: bool
) -> PaymentDecision:
    if order is None or not original_credited:
        return PaymentDecision(Outcome.SUSPENSE, suspense_reason=SuspenseReason.UNKNOWN_ORIGINAL)
    updated = _evolve(
        order,
        reversed_vnd=order.reversed_vnd + event.amount,
        flags=_with_flags(order.flags, (PaymentFlag.REVERSAL_AFTER_CREDIT,)),
    )
    return PaymentDecision(Outcome.REVERSAL_FLAGGED, updated, remainder_vnd=order.remainder_vnd)


def _evolve(order: PaymentOrder, **changes: object) -> PaymentOrder:
    return order.model_copy(update={**changes, "version": order.version + 1})


def _with_flags(
    flags: tuple[PaymentFlag, ...], added: tuple[PaymentFlag, ...]
) -> tuple[PaymentFlag, ...]:
    return flags + tuple(flag for flag in added if flag not in flags)


class BankTransaction(BaseModel):
    """A bank event as received and what it did: kept whole for operations and audit."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    bank: str
    txn_id: str
    kind: EventKind
    account: str
    amount: int
    currency: str
    note: str
    booked_at: AwareDatetime
    original_txn_id: str | None = None
    received_at: AwareDatetime
    raw_body: str
    received_via: str
    outcome: Outcome
    suspense_reason: SuspenseReason | None = None
    department: str
    payment_reference: str | None = None
    dossier_id: str | None = None
    remainder_vnd: int = 0
    refund_due_vnd: int = 0
    became_paid: bool = False
    assigned_by: str | None = None
    assigned_at: AwareDatetime | None = None

    @property
    def credited(self) -> bool:
        return self.outcome in (Outcome.PAID, Outcome.PARTIAL, Outcome.OVERPAID)


class ReversalArrivedFirstError(ConflictError):
    """The bank reversed this credit before reporting it: apply both together."""


@dataclass(frozen=True)
class Recorded:
    """A bank transaction as stored; `duplicate` when an earlier delivery stored it first."""

    transaction: BankTransaction
    duplicate: bool
