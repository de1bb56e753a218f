"""Bank statements: the lines a bank books on a department's fee account, and their checks.

A statement is read as a stream: its header (account, opening balance, sequence number) is
known first, its lines come one at a time, and the closing balance of some formats (MT940)
only after the last line. `StatementTally` folds the lines as they pass, so the checks need
no second read and no list of lines in memory.

Amounts are `Decimal` in the account's currency. A line's `amount` is what the payer paid
(one payment of a batch booking); its `booked_amount` is what the line adds to the account
balance (the whole entry on the first part of a batch, zero on the others), so the balance
check holds for batched entries too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Direction(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class StatementProblem(StrEnum):
    """Why a statement cannot be trusted as a complete record of the day."""

    UNBALANCED = "unbalanced"
    INCOMPLETE = "incomplete"
    WRONG_ACCOUNT = "wrong_account"
    WRONG_DAY = "wrong_day"
    SEQUENCE_GAP = "sequence_gap"


# Problems that make the absence of a payment meaningless: nothing is repaired or aged then.
BLOCKING_PROBLEMS = frozenset(
    {
        StatementProblem.UNBALANCED,
        StatementProblem.INCOMPLETE,
        StatementProblem.WRONG_ACCOUNT,
        StatementProblem.WRONG_DAY,
    }
)


@dataclass(slots=True)
class StatementLine:
    """One booking on the account (or one payment of a batch booking); read, never changed.

    A plain slotted dataclass, not a pydantic model nor a frozen dataclass: a statement has
    up to a million lines, the readers have already validated every field, and a frozen
    dataclass pays a `object.__setattr__` per field on creation.
    """

    booking_date: date
    amount: Decimal
    booked_amount: Decimal
    currency: str
    direction: Direction
    value_date: date | None = None
    reversal: bool = False
    bank_reference: str = ""
    note: str = ""
    counter_amount: Decimal | None = None
    counter_currency: str | None = None
    charges: Decimal | None = None

    @property
    def signed_booked_amount(self) -> Decimal:
        return self.booked_amount if self.direction is Direction.CREDIT else -self.booked_amount

    @property
    def is_incoming_payment(self) -> bool:
        return self.direction is Direction.CREDIT and not self.reversal


@dataclass
class Statement:
    """A statement being read. `lines` can be iterated once.

    `closing_balance`, `closing_date` and `declared_entry_count` are set by the format reader
    as soon as it has read them: before the lines for camt.053, after them for MT940. The
    closing balance's date is the statement's own day.
    """

    statement_id: str
    account: str
    currency: str
    opening_balance: Decimal | None
    lines: Iterator[StatementLine]
    sequence_number: str | None = None
    statement_date: date | None = None
    closing_balance: Decimal | None = None
    closing_date: date | None = None
    declared_entry_count: int | None = None
    information: str = ""
    entry_count: int = 0


@dataclass
class StatementTally:
    """Running totals of the lines seen so far, for the checks at the end."""

    lines: int = 0
    net_booked: Decimal = Decimal(0)
    first_booking_date: date | None = None
    last_booking_date: date | None = None

    def add(self, line: StatementLine) -> None:
        self.lines += 1
        self.net_booked += line.signed_booked_amount
        if self.first_booking_date is None or line.booking_date < self.first_booking_date:
            self.first_booking_date = line.booking_date
        if self.last_booking_date is None or line.booking_date > self.last_booking_date:
            self.last_booking_date = line.booking_date


@dataclass(frozen=True)
class StatementCheck:
    problems: tuple[StatementProblem, ...] = ()
    details: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_blocking(self) -> bool:
        return any(problem in BLOCKING_PROBLEMS for problem in self.problems)


def check_statement(
    statement: Statement,
    tally: StatementTally,
    *,
    fee_account: str,
    previous_sequence_number: str | None,
    statement_day: date | None = None,
) -> StatementCheck:
    """Run every check once the lines are exhausted; `statement_day` is the day the file was
    delivered for (its folder), checked when the statement states its own day."""
    problems: list[StatementProblem] = []
    details: list[str] = []

    if not account_matches(statement.account, fee_account):
        problems.append(StatementProblem.WRONG_ACCOUNT)
        details.append(f"statement account {statement.account!r} is not the fee account")

    own_day = statement.closing_date
    if statement_day is not None and own_day is not None and own_day != statement_day:
        problems.append(StatementProblem.WRONG_DAY)
        details.append(f"statement of {own_day.isoformat()}, delivered for {statement_day}")

    incomplete = _incompleteness(statement)
    if incomplete:
        problems.append(StatementProblem.INCOMPLETE)
        details.append(incomplete)

    if statement.opening_balance is not None and statement.closing_balance is not None:
        expected = statement.opening_balance + tally.net_booked
        if expected != statement.closing_balance:
            problems.append(StatementProblem.UNBALANCED)
            details.append(
                f"opening {statement.opening_balance} + entries {tally.net_booked} = {expected},"
                f" closing {statement.closing_balance}"
            )

    if sequence_has_gap(previous_sequence_number, statement.sequence_number):
        problems.append(StatementProblem.SEQUENCE_GAP)
        details.append(
            f"sequence {statement.sequence_number} does not follow {previous_sequence_number}"
        )
    return StatementCheck(tuple(problems), tuple(details))


def _incompleteness(statement: Statement) -> str:
    if statement.opening_balance is None or statement.closing_balance is None:
        return "opening or closing balance missing"
    declared = statement.declared_entry_count
    if declared is not None and declared != statement.entry_count:
        return f"{declared} entries declared, {statement.entry_count} present"
    return ""


def account_matches(statement_account: str, fee_account: str) -> bool:
    """The statement names the fee account: the same account number, alone, after a bank code
    (`BIN/account`, `BIC/account`), or as the BBAN of a valid IBAN (and the reverse).

    Spacing, dashes and letter case do not count; any other digit does, so an account that
    merely ends with the fee account's number is another account.
    """
    found, wanted = _account_number(statement_account), _account_number(fee_account)
    if not found or not wanted:
        return False
    return found == wanted or _bban(found) == wanted or found == _bban(wanted)


_BANK_CODE = re.compile(r"^(?:\d{3,11}|[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")


def _account_number(text: str) -> str:
    bank_code, slash, account = text.strip().upper().rpartition("/")
    if slash and _BANK_CODE.match(_alphanumeric(bank_code)):
        text = account
    elif slash:
        return ""
    return _alphanumeric(text)


def _alphanumeric(text: str) -> str:
    return re.sub(r"[\s.-]", "", text).upper()


def _bban(account: str) -> str | None:
    """The domestic account number inside a valid IBAN (checksum mod 97 = 1), else None."""
    if not _IBAN.match(account):
        return None
    rearranged = account[4:] + account[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return account[4:] if int(digits) % 97 == 1 else None


def sequence_has_gap(previous: str | None, current: str | None) -> bool:
    """Numbers must follow one another; MT940's `00115/001` compares by statement number."""
    previous_number, current_number = _sequence_value(previous), _sequence_value(current)
    if previous_number is None or current_number is None:
        return False
    return current_number != previous_number + 1


def _sequence_value(sequence: str | None) -> int | None:
    if not sequence:
        return None
    head = sequence.split("/")[0]
    return int(head) if head.isdigit() else None
