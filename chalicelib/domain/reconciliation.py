"""T+1 reconciliation: a day's statement lines against the payments recorded from callbacks.

The matcher reads the statement as a stream and keeps one small entry per recorded payment
(reference -> amount; a reference paid in several transfers keeps the list of its amounts),
so a million lines need neither a list of lines nor of rows in memory:
rows go to a sink as they are decided. The recorded payments are read twice: once to index
them, once at the end to report those the statement did not carry. Given the same inputs in
the same order it emits the same rows in the same order, so a re-run reproduces its report.

Payments the statement did not carry stay pending: a payment credited just before midnight
(Vietnam time) is expected in the next day's statement ("timing"); any other is given a
configurable number of working days before it is reported overdue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.payment_reference import ALPHABET, LENGTH, PREFIX, candidates_in
from chalicelib.domain.statements import Direction, StatementLine

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
_INTACT_REFERENCE = re.compile(rf"{PREFIX}[{ALPHABET}]{{{LENGTH - len(PREFIX)}}}")


class Outcome(StrEnum):
    MATCHED = "matched"
    MISSED_CALLBACK = "missed_callback"
    PENDING = "not_in_statement_pending"
    OVERDUE = "not_in_statement_overdue"
    AMOUNT_DIFFERS = "amount_differs"
    DUPLICATE = "duplicate"
    REVERSAL = "reversal"
    UNIDENTIFIED = "unidentified"
    TIMING = "timing"
    OTHER_DEBIT = "other_debit"


# Outcomes that someone must act on; the rest are informational.
ALERT_OUTCOMES = frozenset(
    {
        Outcome.MISSED_CALLBACK,
        Outcome.OVERDUE,
        Outcome.AMOUNT_DIFFERS,
        Outcome.DUPLICATE,
        Outcome.REVERSAL,
        Outcome.UNIDENTIFIED,
    }
)


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    """A payment the product recorded from a bank callback (a million a day at the target
    scale, read twice per run: hence a slotted dataclass rather than a pydantic model)."""

    payment_reference: str
    amount_vnd: int
    txn_id: str
    credited_at: datetime
    dossier_id: str
    # Recorded from a statement line (a missed callback), not from a callback.
    from_statement: bool = False


@dataclass(frozen=True, slots=True)
class Collection:
    """A movement of a fee account as the monthly remittance counts it: a credit (with the
    part of an overpayment due back to the payer) or a reversal the bank booked."""

    amount_vnd: int
    reversal: bool = False
    refund_due_vnd: int = 0


def remittance_of(collections: Iterable[Collection]) -> dict[str, int]:
    """What a day's movements owe the State Treasury: credits, less what is due back to
    overpaying payers (not a fee), less what the bank reversed."""
    payments = collected = refund_due = reversed_vnd = 0
    for item in collections:
        if item.reversal:
            reversed_vnd += item.amount_vnd
            continue
        payments += 1
        collected += item.amount_vnd
        refund_due += item.refund_due_vnd
    return {
        "payments": payments,
        "collected_vnd": collected,
        "refund_due_vnd": refund_due,
        "reversed_vnd": reversed_vnd,
        "total_vnd": collected - refund_due - reversed_vnd,
    }


class PendingPayment(BaseModel):
    """A recorded payment that an earlier statement did not carry."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    payment_reference: str
    amount_vnd: int
    txn_id: str
    dossier_id: str
    recorded_on: date
    timing: bool = False
    resolved_on: date | None = None

    def open_on(self, day: date) -> bool:
        """Outstanding as seen by the statement of `day` (re-runs see what they saw before)."""
        return self.recorded_on < day and (self.resolved_on is None or self.resolved_on >= day)


class ReportRow(NamedTuple):
    payment_reference: str
    outcome: Outcome
    statement_amount: str
    recorded_amount: str
    booking_date: str
    bank_reference: str
    txn_id: str
    dossier_id: str
    detail: str


COLUMNS = ReportRow._fields


class MissedPayment(BaseModel):
    """A credit the bank booked but no callback recorded: to be recorded now."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    payment_reference: str
    amount: Decimal
    bank_reference: str
    booking_date: date


class UnidentifiedCredit(BaseModel):
    """A credit whose note names no payment reference: held in suspense for operations.

    `occurrence` tells apart identical lines of one statement (0 for the first).
    """

    model_config = ConfigDict(defer_build=True, frozen=True)

    amount: Decimal
    currency: str
    bank_reference: str
    booking_date: date
    note: str
    occurrence: int = 0


class RowSink(Protocol):
    def add(self, row: ReportRow) -> None: ...


@dataclass(frozen=True)
class MismatchSummary:
    """What a department is told of one statement file: its problems and the rows someone
    must act on (the first few; the report has them all)."""

    department: str
    day: date
    file_hash: str
    status: str
    problems: tuple[str, ...]
    counts: dict[str, int]
    rows: tuple[ReportRow, ...]
    total_rows: int
    report_keys: tuple[str, ...]

    @property
    def worth_telling(self) -> bool:
        return bool(self.problems or self.total_rows)


class MismatchDigest:
    """A `RowSink` passing every row on, keeping the first `keep` rows that need action."""

    def __init__(self, sink: RowSink, keep: int = 50) -> None:
        self._sink = sink
        self._keep = keep
        self.rows: list[ReportRow] = []
        self.total = 0

    def add(self, row: ReportRow) -> None:
        self._sink.add(row)
        if row.outcome in ALERT_OUTCOMES:
            self.total += 1
            if len(self.rows) < self._keep:
                self.rows.append(row)


class RecordedPayments(Protocol):
    """Recorded payments of one department and day, readable more than once, same order."""

    def __call__(self) -> Iterable[RecordedPayment]: ...


def vietnam_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _vietnam_holidays(day.year)


@lru_cache(maxsize=8)
def _vietnam_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("VN", years=year))


@dataclass(frozen=True)
class ReconciliationPolicy:
    pending_working_days: int = 3
    timing_window: timedelta = timedelta(minutes=30)
    is_working_day: Callable[[date], bool] = vietnam_working_day


@dataclass
class ReconciliationResult:
    day: date
    counts: dict[str, int] = field(default_factory=dict)
    matched_total: Decimal = Decimal(0)
    missed_payments: list[MissedPayment] = field(default_factory=list)
    unidentified: list[UnidentifiedCredit] = field(default_factory=list)
    still_pending: list[PendingPayment] = field(default_factory=list)
    resolved_pending: list[PendingPayment] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        self.counts[outcome.value] = self.counts.get(outcome.value, 0) + 1


class Matcher:
    """Decides the outcome of each statement line, then of each payment left unmatched."""

    def __init__(
        self,
        statement_day: date,
        recorded: RecordedPayments,
        pending: Iterable[PendingPayment],
        sink: RowSink,
        policy: ReconciliationPolicy | None = None,
    ) -> None:
        self._day = statement_day
        self._recorded = recorded
        self._pending = {
            item.payment_reference: item for item in pending if item.open_on(statement_day)
        }
        self._sink = sink
        self._policy = policy or ReconciliationPolicy()
        # reference -> recorded amount; a consumed reference holds the amount's bitwise
        # complement (always negative), which saves a set of a million references.
        self._amounts: dict[str, int] = {}
        # A reference paid in several transfers: the recorded amounts not matched yet.
        self._split: dict[str, list[int]] = {}
        # References recorded only from a statement: an earlier run of this day found their
        # callbacks missing, and a re-run must report them so again.
        self._from_statement: set[str] = set()
        self.result = ReconciliationResult(day=statement_day)
        self._recorded_count = 0
        self._recorded_matched = 0
        self._day_texts: dict[date, str] = {}
        self._unidentified_seen: dict[tuple[str, date, Decimal, str], int] = {}

    def run(self, lines: Iterator[StatementLine]) -> ReconciliationResult:
        self._index()
        for line in lines:
            self._sink.add(self._decide(line))
        self._close_recorded()
        self._close_pending()
        return self.result

    def _index(self) -> None:
        amounts, split = self._amounts, self._split
        count = 0
        for payment in self._recorded():
            count += 1
            reference = payment.payment_reference
            known = amounts.get(reference)
            if known is None:
                amounts[reference] = payment.amount_vnd
            elif reference in split:
                split[reference].append(payment.amount_vnd)
            else:
                split[reference] = [known, payment.amount_vnd]
            if payment.from_statement and known is None:
                self._from_statement.add(reference)
            elif not payment.from_statement:
                self._from_statement.discard(reference)
        self._recorded_count = count
        # NOTE: pending payments are kept one per reference (the table's sort key), so two
        # unbooked transfers of one split payment carry over as one.
        for reference, item in self._pending.items():
            amounts.setdefault(reference, item.amount_vnd)

    def _decide(self, line: StatementLine) -> ReportRow:
        references = self._references_in(line.note)
        if line.reversal:
            return self._row(line, references[:1], Outcome.REVERSAL, "reversal booked by the bank")
        if line.direction is Direction.DEBIT:
            return self._row(line, references[:1], Outcome.OTHER_DEBIT, "")
        if not references:
            return self._unidentified(line)
        known = [reference for reference in references if reference in self._amounts]
        if not known:
            return self._missed(line, references[0])
        if known[0] in self._from_statement:
            return self._missed_again(line, known[0])
        return self._match(line, known[0])

    def _references_in(self, note: str) -> list[str]:
        # Most notes carry the reference intact: look those up directly, and fold the note
        # (diacritics, spacing, confusable letters) only when that finds nothing known.
        intact = [ref for ref in _INTACT_REFERENCE.findall(note.upper()) if ref in self._amounts]
        return intact or candidates_in(note)

    def _unidentified(self, line: StatementLine) -> ReportRow:
        key = (line.bank_reference, line.booking_date, line.amount, line.note)
        occurrence = self._unidentified_seen.get(key, 0)
        self._unidentified_seen[key] = occurrence + 1
        self.result.unidentified.append(
            UnidentifiedCredit(
                amount=line.amount,
                currency=line.currency,
                bank_reference=line.bank_reference,
                booking_date=line.booking_date,
                note=line.note,
                occurrence=occurrence,
            )
        )
        return self._row(line, [], Outcome.UNIDENTIFIED, "no payment reference in the note")

    def _missed(self, line: StatementLine, reference: str) -> ReportRow:
        self.result.missed_payments.append(
            MissedPayment(
                payment_reference=reference,
                amount=line.amount,
                bank_reference=line.bank_reference,
                booking_date=line.booking_date,
            )
        )
        self._amounts[reference] = ~0
        return self._row(line, [reference], Outcome.MISSED_CALLBACK, "no callback recorded")

    def _missed_again(self, line: StatementLine, reference: str) -> ReportRow:
        """A credit an earlier run recorded from this statement: reported as that run did."""
        if self._take(reference, line.amount) is None:
            return self._row(line, [reference], Outcome.DUPLICATE, "reference already paid")
        self._recorded_matched += 1
        self._from_statement.discard(reference)
        return self._missed(line, reference)

    def _match(self, line: StatementLine, reference: str) -> ReportRow:
        recorded_amount = self._take(reference, line.amount)
        if recorded_amount is None:
            return self._row(line, [reference], Outcome.DUPLICATE, "reference already paid")
        pending = self._pending.get(reference)
        if pending is not None:
            self.result.resolved_pending.append(pending)
        else:
            self._recorded_matched += 1
        if line.amount != recorded_amount:
            detail = f"recorded {recorded_amount}"
            return self._row(line, [reference], Outcome.AMOUNT_DIFFERS, detail, recorded_amount)
        self.result.matched_total += line.amount
        if pending is not None and pending.timing:
            detail = f"recorded on {pending.recorded_on.isoformat()}, booked the next day"
            return self._row(line, [reference], Outcome.TIMING, detail, recorded_amount)
        detail = f"recorded on {pending.recorded_on.isoformat()}" if pending else ""
        return self._row(line, [reference], Outcome.MATCHED, detail, recorded_amount)

    def _take(self, reference: str, amount: Decimal) -> int | None:
        """Consume the recorded amount this line pays; None when nothing is left to pay.

        Of a split payment's transfers, the one of the same amount is taken first, else the
        earliest recorded (whose difference is then reported).
        """
        remaining = self._split.get(reference)
        if remaining is None:
            recorded_amount = self._amounts[reference]
            if recorded_amount < 0:
                return None
            self._amounts[reference] = ~recorded_amount
            return recorded_amount
        if not remaining:
            return None
        position = next((i for i, value in enumerate(remaining) if value == amount), 0)
        taken = remaining.pop(position)
        if not remaining:
            self._amounts[reference] = ~taken
        return taken

    def _unbooked(self, payment: RecordedPayment) -> bool:
        """Whether this recorded payment is left over once the statement has been read."""
        reference = payment.payment_reference
        if reference in self._pending:
            return False
        remaining = self._split.get(reference)
        if remaining is None:
            return self._amounts.get(reference, 0) >= 0
        if payment.amount_vnd in remaining:
            remaining.remove(payment.amount_vnd)
            return True
        return False

    def _close_recorded(self) -> None:
        if self._recorded_matched >= self._recorded_count:
            # Every recorded payment was booked: no need to read the day's payments again.
            return
        midnight = datetime.combine(self._day + timedelta(days=1), time(0), VIETNAM)
        for payment in self._recorded():
            reference = payment.payment_reference
            if not self._unbooked(payment):
                continue
            timing = midnight - payment.credited_at <= self._policy.timing_window
            outcome = Outcome.TIMING if timing else Outcome.PENDING
            detail = "paid near midnight, expected in the next statement" if timing else ""
            self._emit_unbooked(
                payment.payment_reference,
                payment.amount_vnd,
                payment.txn_id,
                payment.dossier_id,
                outcome,
                detail,
            )
            self.result.still_pending.append(
                PendingPayment(
                    payment_reference=reference,
                    amount_vnd=payment.amount_vnd,
                    txn_id=payment.txn_id,
                    dossier_id=payment.dossier_id,
                    recorded_on=self._day,
                    timing=timing,
                )
            )

    def _close_pending(self) -> None:
        for reference in sorted(self._pending):
            if self._amounts.get(reference, 0) < 0:
                continue
            item = self._pending[reference]
            waited = working_days_between(item.recorded_on, self._day, self._policy.is_working_day)
            overdue = waited > self._policy.pending_working_days
            outcome = Outcome.OVERDUE if overdue else Outcome.PENDING
            detail = f"recorded on {item.recorded_on.isoformat()}, {waited} working days"
            self._emit_unbooked(
                reference, item.amount_vnd, item.txn_id, item.dossier_id, outcome, detail
            )
            self.result.still_pending.append(item)

    def _emit_unbooked(
        self,
        reference: str,
        amount: int,
        txn_id: str,
        dossier_id: str,
        outcome: Outcome,
        detail: str,
    ) -> None:
        self.result.count(outcome)
        self._sink.add(
            ReportRow(reference, outcome, "", str(amount), "", "", txn_id, dossier_id, detail)
        )

    def _day_text(self, day: date) -> str:
        text = self._day_texts.get(day)
        if text is None:
            text = self._day_texts[day] = day.isoformat()
        return text

    def _row(
        self,
        line: StatementLine,
        references: list[str],
        outcome: Outcome,
        detail: str,
        recorded_amount: int | None = None,
    ) -> ReportRow:
        self.result.count(outcome)
        return ReportRow(
            references[0] if references else "",
            outcome,
            str(line.amount),
            "" if recorded_amount is None else str(recorded_amount),
            self._day_text(line.booking_date),
            line.bank_reference,
            "",
            "",
            detail,
        )


def working_days_between(start: date, end: date, is_working_day: Callable[[date], bool]) -> int:
    """Working days after `start` up to and including `end`."""
    days = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        days += int(is_working_day(current))
    return days
