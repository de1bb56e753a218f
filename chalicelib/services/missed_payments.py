"""Payments the bank booked but no callback announced: kept for audit, then recorded.

Recording goes through the same path as a callback (`Payments.apply_bank_event`), so the
dossier's await-payment step completes and a repeat credits nothing twice. A credit whose
note names no payment reference takes the same path, which holds it in the suspense list
operations work from, as it does for such a callback.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.payments import BankCredit
from chalicelib.domain.reconciliation import MissedPayment, UnidentifiedCredit
from chalicelib.services.reconciliation import StatementSource
from chalicelib.telemetry import count_event, logger

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class MissedPaymentRecorder:
    def __init__(self, audit: Any, payments: Any, clock: Callable[[], datetime]) -> None:
        self._audit = audit
        self._payments = payments
        self._clock = clock

    def record_missed_payment(
        self, department: str, missed: MissedPayment, source: StatementSource
    ) -> None:
        self._audit.record_missed_payment(department, missed)
        credit = BankCredit(
            bank=source.bank,
            txn_id=_transaction_id(missed.bank_reference, missed.payment_reference),
            account=source.account,
            amount=int(missed.amount),
            currency="VND",
            note=missed.payment_reference,
            booked_at=datetime.combine(missed.booking_date, time(12), tzinfo=VIETNAM),
        )
        raw = json.dumps({"source": "statement", **credit.model_dump(mode="json")})
        _, already = self._payments.apply_bank_event(credit, raw, "statement", self._clock())
        if not already:
            count_event("MissedCallbackRecorded", department=department)
            logger.info("missed payment recorded from statement", department=department,
                        payment_ref=missed.payment_reference)  # fmt: skip

    def hold_unidentified_credit(
        self, department: str, credit: UnidentifiedCredit, source: StatementSource
    ) -> None:
        amount = int(credit.amount)
        if amount != credit.amount or amount <= 0:
            # NOTE: a bank event holds whole units; a fractional credit stays in the report only.
            logger.warning("unidentified credit not held: not a whole amount",
                           department=department, bank_reference=credit.bank_reference)  # fmt: skip
            return
        event = BankCredit(
            bank=source.bank,
            txn_id=_held_transaction_id(credit),
            account=source.account,
            amount=amount,
            currency=credit.currency or "VND",
            note=credit.note[:500],
            booked_at=datetime.combine(credit.booking_date, time(12), tzinfo=VIETNAM),
        )
        raw = json.dumps({"source": "statement", **event.model_dump(mode="json")})
        stored, already = self._payments.apply_bank_event(event, raw, "statement", self._clock())
        if not already:
            count_event("UnidentifiedCreditHeld", department=department)
            logger.info("unidentified credit held in suspense", department=department,
                        txn_id=stored.txn_id, outcome=stored.outcome.value)  # fmt: skip


def _held_transaction_id(credit: UnidentifiedCredit) -> str:
    if credit.bank_reference:
        base = re.sub(r"[^A-Za-z0-9._:-]", "-", credit.bank_reference)[:56]
    else:
        # No bank reference: the line itself names it, the same in a re-run or a corrected file.
        line = f"{credit.booking_date}|{credit.amount}|{credit.note}"
        base = "stmt-" + hashlib.sha256(line.encode("utf-8")).hexdigest()[:24]
    return f"{base}-{credit.occurrence}" if credit.occurrence else base


def _transaction_id(bank_reference: str, payment_reference: str) -> str:
    # NOTE: a statement's bank reference is taken as the callback's transaction id; a bank
    # whose two ids differ would show the later callback as a duplicate payment.
    cleaned = re.sub(r"[^A-Za-z0-9._:-]", "-", bank_reference)[:64]
    return cleaned or f"stmt-{payment_reference}"
