"""Payment use cases: the order a submitted dossier pays, and the bank's callbacks.

`receive_bank_callback` answers every delivery of the same bank transaction identically and
applies it once. Its result is what the HTTP handler returns to the bank, verbatim:

    200 {"status": "accepted", "bank": "...", "txn_id": "...", "outcome": "..."}

with outcome one of paid, partial, overpaid, suspense, reversal_flagged, ignored. Refusals are
raised as CoissuerError subclasses (401 signature, 404 bank, 413, 415, 422 body, 503 retry)
and mapped by the HTTP layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain import bank_signature, fees, vietqr
from chalicelib.domain.bank_signature import BankSecrets
from chalicelib.domain.banks import bank_directory
from chalicelib.domain.departments import Department
from chalicelib.domain.dossiers import HistoryEvent, Status
from chalicelib.domain.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PayloadTooLargeError,
    RuleViolationError,
    TransientError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
)
from chalicelib.domain.identity import Principal, Role
from chalicelib.domain.payment_reference import candidates_in, new_payment_reference
from chalicelib.domain.payments import (
    BankCredit,
    BankTransaction,
    EventKind,
    Outcome,
    PaymentDecision,
    PaymentOrder,
    PaymentStatus,
    Recorded,
    ReversalArrivedFirstError,
    credit,
    decide,
)
from chalicelib.telemetry import count_event, logger

MAX_CALLBACK_BYTES = 16 * 1024
# Suspense of a credit to an account no payment order has named yet.
UNROUTED = "UNROUTED"
ORDER_RETRIES = 3


class WorkflowPort(Protocol):
    def complete_step(self, task_token: str, output: dict[str, Any]) -> bool:
        """Complete a waiting step of the dossier's workflow (here: await payment).

        May be called more than once for one token (a repeated callback, a token attached
        just as the payment lands): a step already completed must return False, not raise.
        """


class SecretsPort(Protocol):
    def bank_secrets(self, bank: str) -> BankSecrets:
        """The bank's signing secrets; NotFoundError for a bank we do not know."""


class PaymentStorePort(Protocol):
    def create_order(self, order: PaymentOrder) -> PaymentOrder: ...
    def order(self, payment_reference: str) -> PaymentOrder | None: ...
    def order_for_dossier(self, dossier_id: str) -> PaymentOrder | None: ...
    def find_orders(self, payment_references: list[str]) -> list[PaymentOrder]: ...
    def department_for_account(self, bank_bin: str, account_number: str) -> str | None: ...
    def bank_transaction(self, bank: str, txn_id: str) -> BankTransaction | None: ...
    def record(
        self, transaction: BankTransaction, updated_order: PaymentOrder | None
    ) -> Recorded: ...
    def earlier_reversal(self, credit: BankTransaction) -> BankTransaction | None: ...
    def record_with_earlier_reversal(
        self, credit: BankTransaction, updated_order: PaymentOrder, reversal: BankTransaction
    ) -> Recorded: ...
    def save_order(self, order: PaymentOrder) -> PaymentOrder: ...
    def suspense(
        self, department: str, limit: int = 50, after: str | None = None
    ) -> tuple[list[BankTransaction], str | None]: ...
    def dossier_standing(self, dossier_id: str) -> tuple[Status, int] | None: ...
    def assign(
        self,
        held: BankTransaction,
        resolved: BankTransaction,
        updated_order: PaymentOrder,
        event: HistoryEvent,
    ) -> None: ...


class CallbackBody(BaseModel):
    """The JSON a bank posts (see docs/bank-integration.md); unknown fields are ignored."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    txn_id: str
    kind: EventKind = EventKind.CREDIT
    account: str
    amount: int
    currency: str
    note: str = ""
    booked_at: AwareDatetime
    original_txn_id: str | None = None


@dataclass(frozen=True)
class CallbackResult:
    """The HTTP answer to the bank: the same for every delivery of one transaction."""

    status_code: int
    body: dict[str, str]
    duplicate: bool = False


@dataclass(frozen=True)
class PaymentOrderView:
    """What the exporter needs to pay: the order, its VietQR payload and image, instructions."""

    order: PaymentOrder
    qr_payload: str
    qr_png: bytes
    instructions: vietqr.TransferInstructions


@dataclass
class Payments:
    store: PaymentStorePort
    secrets: SecretsPort
    workflow: WorkflowPort
    new_reference: Callable[[], str] = field(default=new_payment_reference)
    # Where the rates come from: the packaged schedule, or that with operations' entries.
    fee_schedule: Callable[[], fees.FeeSchedule] = field(default=fees.default_fee_schedule)

    def create_payment_order(
        self,
        dossier_id: str,
        trader_tax_code: str,
        department: Department,
        fee_kind: fees.FeeKind | str,
        submitted_at: datetime,
        schedule: fees.FeeSchedule | None = None,
        check_existing: bool = True,
    ) -> PaymentOrder | None:
        """The dossier's payment order, fixing the fee in force on the submission day.

        None when the department does not collect fees yet (the payment step is skipped).
        A resubmission returns the order made at the first submission: no second charge.
        """
        submitted_on = fees.submission_day(submitted_at)
        if not department.collects_fees_on(submitted_on):
            return None
        if department.fee_account is None:
            raise RuleViolationError(
                "The department collects fees but has no fee account", department=department.code
            )
        # A first submission skips this read: the order's pointer write refuses a second order.
        existing = self.store.order_for_dossier(dossier_id) if check_existing else None
        if existing is not None:
            return existing

        amount = fees.fee_for(fee_kind, submitted_on, schedule or self.fee_schedule())
        for _ in range(ORDER_RETRIES):
            order = PaymentOrder(
                dossier_id=dossier_id,
                trader_tax_code=trader_tax_code,
                department=department.code,
                payment_reference=self.new_reference(),
                fee_kind=fees.FeeKind(fee_kind),
                amount_vnd=amount,
                account=department.fee_account,
                created_at=submitted_at,
            )
            try:
                stored = self.store.create_order(order)
            except ConflictError:
                continue
            logger.info(
                "payment order created",
                dossier_id=dossier_id,
                payment_ref=stored.payment_reference,
                department=department.code,
            )
            return stored
        raise TransientError("No free payment reference could be drawn", dossier_id=dossier_id)

    def payment_order_view(
        self, dossier_id: str, viewer: Principal | None = None
    ) -> PaymentOrderView:
        """The order with its VietQR and transfer instructions, for whoever may see it."""
        order = self.store.order_for_dossier(dossier_id)
        if order is None or (viewer is not None and not _may_see(viewer, order)):
            raise NotFoundError("This dossier has no payment order", dossier_id=dossier_id)
        # After a partial payment the code and the instructions ask for the remainder only.
        due = order.remainder_vnd if order.status is PaymentStatus.PARTIAL else order.amount_vnd
        account = order.account
        payment = vietqr.dynamic_payment(
            account.bank_bin, account.account_number, due, order.payment_reference
        )
        payload = vietqr.encode(payment)
        instructions = vietqr.transfer_instructions(
            account.bank_bin,
            account.account_number,
            account.account_name,
            due,
            order.payment_reference,
        )
        return PaymentOrderView(order, payload, vietqr.render_png(payload), instructions)

    def await_payment(self, dossier_id: str, task_token: str) -> PaymentOrder:
        """Keep the await-payment step's token; complete it at once if already paid."""
        for _ in range(ORDER_RETRIES):
            order = self.store.order_for_dossier(dossier_id)
            if order is None:
                raise NotFoundError("This dossier has no payment order", dossier_id=dossier_id)
            updated = order.model_copy(
                update={"task_token": task_token, "version": order.version + 1}
            )
            try:
                self.store.save_order(updated)
            except ConflictError:
                continue
            self._notify_if_paid(updated.status is PaymentStatus.PAID, updated)
            return updated
        raise TransientError("The payment order is busy", dossier_id=dossier_id)

    def receive_bank_callback(
        self, bank: str, raw_body: bytes, headers: Mapping[str, str], now: datetime
    ) -> CallbackResult:
        """Verify, record once and apply one bank callback."""
        bank_code = bank_directory().by_code(bank).code
        _refuse_unreadable(raw_body, headers)
        slot = bank_signature.verify(headers, raw_body, self.secrets.bank_secrets(bank_code), now)
        event = _parse_event(bank_code, raw_body)

        stored, duplicate = self.apply_bank_event(
            event, raw_body.decode("utf-8"), f"callback:{slot.value}", now
        )
        return CallbackResult(200, _response_body(stored), duplicate)

    def apply_bank_event(
        self, event: BankCredit, raw: str, received_via: str, now: datetime
    ) -> tuple[BankTransaction, bool]:
        """Record one bank event once and apply it to its order; also for statement lines.

        `received_via` says how it came (`callback:current`, `callback:previous`,
        `statement`); returns the stored transaction and whether it was already stored.
        """
        for _ in range(ORDER_RETRIES):
            try:
                return self._apply(event, raw, received_via, now)
            except ConflictError:
                logger.info("payment order changed, deciding again", txn_id=event.txn_id)
        raise TransientError("The payment order is busy; retry", txn_id=event.txn_id)

    def suspense(
        self, department: str, limit: int = 50, after: str | None = None
    ) -> tuple[list[BankTransaction], str | None]:
        return self.store.suspense(department, limit, after)

    def assign_suspense(
        self,
        bank: str,
        txn_id: str,
        dossier_id: str,
        operator: str,
        reason: str,
        now: datetime,
        department_scope: str | None = None,
    ) -> BankTransaction:
        """Credit a held bank event to a dossier's order, as operations decided (audited).

        `department_scope` limits a department's operations staff to its own items.
        """
        held = self.store.bank_transaction(bank, txn_id)
        if held is None or held.outcome is not Outcome.SUSPENSE or held.assigned_by:
            raise NotFoundError("No unassigned suspense item with this id", txn_id=txn_id)
        if department_scope not in (None, held.department, UNROUTED):
            raise NotFoundError("No unassigned suspense item with this id", txn_id=txn_id)
        if held.kind is not EventKind.CREDIT or held.currency != "VND":
            raise RuleViolationError(
                "Only VND credits can be assigned; return the rest to the payer", txn_id=txn_id
            )
        order = self.store.order_for_dossier(dossier_id)
        if order is None:
            raise NotFoundError("This dossier has no payment order", dossier_id=dossier_id)
        if held.department not in (order.department, UNROUTED):
            raise RuleViolationError(
                "The money reached another department's account", txn_id=txn_id
            )

        standing = self.store.dossier_standing(dossier_id)
        if standing is None:
            raise NotFoundError("No such dossier", dossier_id=dossier_id)

        decision = credit(order, held.amount, held.booked_at)
        resolved = _resolved(held, decision, order, operator, now)
        event = _assignment_event(resolved, standing, reason)
        self.store.assign(held, resolved, decision.order or order, event)
        logger.info(
            "suspense item assigned",
            txn_id=txn_id,
            dossier_id=dossier_id,
            outcome=decision.outcome.value,
        )
        self._notify_if_paid(decision.became_paid, decision.order)
        return resolved

    def _apply(
        self, event: BankCredit, raw: str, received_via: str, now: datetime
    ) -> tuple[BankTransaction, bool]:
        order, original_credited = self._order_for(event)
        bank_bin = bank_directory().by_code(event.bank).bin
        decision = decide(order, event, bank_bin, original_credited)
        department = self._department_of(bank_bin, event, order)
        transaction = _transaction(event, raw, received_via, now, decision, order, department)

        try:
            recorded = self.store.record(transaction, decision.order)
        except ReversalArrivedFirstError:
            decision, recorded = self._record_with_earlier_reversal(transaction, decision, bank_bin)
        stored = recorded.transaction
        if recorded.duplicate and _differs(stored, event):
            logger.warning("bank reused a transaction id", bank=event.bank, txn_id=event.txn_id)
        logger.info(
            "bank callback applied",
            bank=event.bank,
            txn_id=event.txn_id,
            payment_ref=stored.payment_reference,
            outcome=stored.outcome.value,
            duplicate=recorded.duplicate,
        )
        if not recorded.duplicate:
            count_event("BankEvent", outcome=stored.outcome.value)
        self._notify_if_paid(stored.became_paid, decision.order or order)
        return stored, recorded.duplicate

    def _record_with_earlier_reversal(
        self, credit_txn: BankTransaction, decision: PaymentDecision, bank_bin: str
    ) -> tuple[PaymentDecision, Recorded]:
        """Apply a credit and the reversal held for it, as if they had come in order: the
        order is paid and flagged, and the reversal leaves suspense linked to it."""
        held = self.store.earlier_reversal(credit_txn)
        if held is None or decision.order is None:
            raise ConflictError("The held reversal changed meanwhile", txn_id=credit_txn.txn_id)

        undone = decide(decision.order, _event_of(held), bank_bin, original_credited=True)
        if undone.order is None:
            raise ConflictError("The held reversal changed meanwhile", txn_id=credit_txn.txn_id)
        # Both changes land in one write, conditioned on the version the credit read.
        order = undone.order.model_copy(update={"version": decision.order.version})
        linked = _linked_reversal(held, undone, order)

        recorded = self.store.record_with_earlier_reversal(credit_txn, order, linked)
        logger.warning(
            "credit arrived after its reversal",
            bank=credit_txn.bank,
            txn_id=credit_txn.txn_id,
            reversal_txn_id=held.txn_id,
            payment_ref=order.payment_reference,
        )
        return replace(decision, order=order), recorded

    def _order_for(self, event: BankCredit) -> tuple[PaymentOrder | None, bool]:
        """The order the event concerns, and whether it undoes a credit to that order."""
        if event.kind is EventKind.FAILED:
            return None, False
        if event.kind is EventKind.REVERSAL:
            # Only the transaction it undoes ties a reversal to an order; its note does not.
            original = self.store.bank_transaction(event.bank, str(event.original_txn_id))
            if original is None or not original.credited or not original.payment_reference:
                return None, False
            return self.store.order(original.payment_reference), True
        orders = self.store.find_orders(candidates_in(event.note))
        same_account = [order for order in orders if order.account.account_number == event.account]
        return next(iter(same_account or orders), None), False

    def _department_of(self, bank_bin: str, event: BankCredit, order: PaymentOrder | None) -> str:
        """The department whose account received the money: its operations handle it."""
        if order is not None and (order.account.bank_bin, order.account.account_number) == (
            bank_bin,
            event.account,
        ):
            return order.department
        owner = self.store.department_for_account(bank_bin, event.account)
        return owner or (order.department if order else UNROUTED)

    def _notify_if_paid(self, became_paid: bool, order: PaymentOrder | None) -> None:
        if became_paid and order is not None and order.task_token:
            output = {"dossier_id": order.dossier_id, "payment_reference": order.payment_reference}
            self.workflow.complete_step(order.task_token, output)


def _may_see(viewer: Principal, order: PaymentOrder) -> bool:
    # Others' dossiers answer as absent, so their existence is not revealed.
    if viewer.role is Role.EXPORTER:
        return viewer.tax_code == order.trader_tax_code
    return viewer.department in (None, order.department)


def _refuse_unreadable(raw_body: bytes, headers: Mapping[str, str]) -> None:
    if len(raw_body) > MAX_CALLBACK_BYTES:
        raise PayloadTooLargeError(f"A callback body holds at most {MAX_CALLBACK_BYTES} bytes")
    content_type = next(
        (value for name, value in headers.items() if name.lower() == "content-type"), ""
    )
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaTypeError("Callbacks are application/json")


def _parse_event(bank: str, raw_body: bytes) -> BankCredit:
    try:
        body = CallbackBody.model_validate_json(raw_body)
        return BankCredit(bank=bank, **body.model_dump())
    except PydanticValidationError as error:
        problems = [
            FieldProblem("/" + "/".join(str(part) for part in problem["loc"]), problem["msg"])
            for problem in error.errors()
        ]
        raise ValidationFailedError("The callback body is invalid", problems) from error


def _transaction(
    event: BankCredit,
    raw: str,
    received_via: str,
    now: datetime,
    decision: PaymentDecision,
    order: PaymentOrder | None,
    department: str,
) -> BankTransaction:
    return BankTransaction(
        **event.model_dump(),
        received_at=now,
        raw_body=raw,
        received_via=received_via,
        outcome=decision.outcome,
        suspense_reason=decision.suspense_reason,
        department=department,
        payment_reference=order.payment_reference if order else None,
        dossier_id=order.dossier_id if order else None,
        remainder_vnd=decision.remainder_vnd,
        refund_due_vnd=decision.refund_due_vnd,
        became_paid=decision.became_paid,
    )


def _resolved(
    held: BankTransaction,
    decision: PaymentDecision,
    order: PaymentOrder,
    operator: str,
    now: datetime,
) -> BankTransaction:
    return _linked_reversal(held, decision, order).model_copy(
        update={
            "refund_due_vnd": decision.refund_due_vnd,
            "became_paid": decision.became_paid,
            "assigned_by": operator,
            "assigned_at": now,
        }
    )


def _assignment_event(
    resolved: BankTransaction, standing: tuple[Status, int], reason: str
) -> HistoryEvent:
    # Assigning money moves no status itself: the workflow records the move to paid.
    status, version = standing
    return HistoryEvent(
        dossier_id=str(resolved.dossier_id),
        seq=version,
        at=resolved.assigned_at or resolved.received_at,
        actor=str(resolved.assigned_by),
        from_status=status,
        to_status=status,
        reason=(
            f"payment {resolved.bank} {resolved.txn_id} of {resolved.amount} VND assigned"
            f" ({resolved.outcome.value}): {reason}"
        ),
    )


def _event_of(transaction: BankTransaction) -> BankCredit:
    fields = BankCredit.model_fields.keys()
    return BankCredit.model_validate({name: getattr(transaction, name) for name in fields})


def _linked_reversal(
    held: BankTransaction, decision: PaymentDecision, order: PaymentOrder
) -> BankTransaction:
    """A held event attached to its order: out of suspense, with the decision's outcome."""
    return held.model_copy(
        update={
            "outcome": decision.outcome,
            "suspense_reason": None,
            "department": order.department,
            "payment_reference": order.payment_reference,
            "dossier_id": order.dossier_id,
            "remainder_vnd": decision.remainder_vnd,
        }
    )


def _differs(stored: BankTransaction, event: BankCredit) -> bool:
    # A repeat answers as the first delivery did; a changed repeat is the bank's error.
    fields = ("kind", "account", "amount", "currency", "note", "original_txn_id")
    return any(getattr(stored, name) != getattr(event, name) for name in fields)


def _response_body(transaction: BankTransaction) -> dict[str, str]:
    return {
        "status": "accepted",
        "bank": transaction.bank,
        "txn_id": transaction.txn_id,
        "outcome": transaction.outcome.value,
    }
