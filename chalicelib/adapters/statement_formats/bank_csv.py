"""Bank CSV statements, read as a stream through a per-bank column profile.

Banks in Vietnam export UTF-8 (with or without a byte-order mark) or Windows-1258. The
Windows-1258 code page writes Vietnamese tone marks as separate combining characters, so
every text is normalised to NFC before it is compared or stored.

A CSV export carries no statement header, so the balances come from the running balance
column when the profile names one (the balance before the first line and after the last),
and a statement without them is reported incomplete rather than trusted.

The profiles are data (`csv_profiles.json` beside this module), one per bank folder of the
statements bucket: columns, delimiter, encoding, date format and decimal style.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.statements import Direction, Statement, StatementLine


class CsvProfile(BaseModel):
    """Where a bank puts each field in its CSV export."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    encoding: Literal["utf-8", "cp1258"] = "utf-8"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    date_format: str = "%d/%m/%Y"
    decimal_separator: str = "."
    thousands_separator: str = ","
    currency: str = "VND"
    booking_date: str
    value_date: str | None = None
    credit_amount: str | None = None
    debit_amount: str | None = None
    amount: str | None = None
    direction: str | None = None
    credit_marks: tuple[str, ...] = ("C", "CR", "CREDIT", "CO")
    reversal: str | None = None
    bank_reference: str | None = None
    note: str
    balance_after: str | None = None
    account: str | None = None


PROFILES_FILE = Path(__file__).with_name("csv_profiles.json")


def profiles_from(document: Mapping[str, Any]) -> dict[str, CsvProfile]:
    """Profiles by bank folder, from `{folder: {encoding, delimiter, ..., columns: {...}}}`."""
    profiles = {}
    for folder, entry in document.items():
        settings = {name: value for name, value in entry.items() if name != "columns"}
        profiles[folder] = CsvProfile.model_validate({**settings, **entry.get("columns", {})})
    return profiles


@lru_cache(maxsize=1)
def _profiles_by_bank() -> dict[str, CsvProfile]:
    import json

    return profiles_from(json.loads(PROFILES_FILE.read_text(encoding="utf-8")))


def read_statements(
    stream: IO[bytes], profile: CsvProfile, *, statement_id: str = "", account: str = ""
) -> Iterator[Statement]:
    """The one statement of a CSV export."""
    text = io.TextIOWrapper(stream, encoding=_codec(profile), errors="strict", newline="")
    rows = csv.DictReader(text, delimiter=profile.delimiter)
    reader = _CsvReader(profile, rows)
    yield reader.statement(statement_id, account)


def _codec(profile: CsvProfile) -> str:
    return "utf-8-sig" if profile.encoding == "utf-8" else codecs.lookup("cp1258").name


class _CsvReader:
    def __init__(self, profile: CsvProfile, rows: csv.DictReader[str]) -> None:
        self._profile = profile
        self._rows = rows

    def statement(self, statement_id: str, account: str) -> Statement:
        statement = Statement(
            statement_id=statement_id,
            account=account,
            currency=self._profile.currency,
            opening_balance=None,
            lines=iter(()),
        )
        statement.lines = self._lines(statement)
        return statement

    def _lines(self, statement: Statement) -> Iterator[StatementLine]:
        try:
            for raw in self._rows:
                # Headers too: a Windows-1258 export spells them with combining tone marks.
                row = {
                    _nfc(key).strip(): _nfc(value or "")
                    for key, value in raw.items()
                    if key is not None
                }
                line = self._line(row, statement)
                self._track_balances(statement, row, line)
                statement.entry_count += 1
                yield line
        except UnicodeDecodeError as error:
            raise ValidationFailedError(
                f"CSV statement is not {self._profile.encoding}: {error.reason}"
            ) from error

    def _line(self, row: dict[str, str], statement: Statement) -> StatementLine:
        profile = self._profile
        amount, direction = self._amount_and_direction(row)
        if profile.account and not statement.account:
            statement.account = row.get(profile.account, "")
        return StatementLine(
            booking_date=self._date(row[profile.booking_date]),
            value_date=self._date(row[profile.value_date]) if profile.value_date else None,
            amount=amount,
            booked_amount=amount,
            currency=profile.currency,
            direction=direction,
            reversal=bool(profile.reversal and row.get(profile.reversal, "").strip()),
            bank_reference=row.get(profile.bank_reference or "", "").strip(),
            note=row.get(profile.note, "").strip(),
        )

    def _amount_and_direction(self, row: dict[str, str]) -> tuple[Decimal, Direction]:
        profile = self._profile
        if profile.amount:
            signed = self._decimal(row[profile.amount])
            if profile.direction:
                mark = row[profile.direction].strip().upper()
                direction = Direction.CREDIT if mark in profile.credit_marks else Direction.DEBIT
            else:
                direction = Direction.DEBIT if signed < 0 else Direction.CREDIT
            return abs(signed), direction
        credit = self._decimal(row.get(profile.credit_amount or "", ""))
        if credit:
            return credit, Direction.CREDIT
        return self._decimal(row.get(profile.debit_amount or "", "")), Direction.DEBIT

    def _track_balances(
        self, statement: Statement, row: dict[str, str], line: StatementLine
    ) -> None:
        if not self._profile.balance_after:
            return
        balance = self._decimal(row[self._profile.balance_after])
        if statement.opening_balance is None:
            statement.opening_balance = balance - line.signed_booked_amount
        statement.closing_balance = balance

    def _date(self, text: str) -> date:
        try:
            return datetime.strptime(text.strip(), self._profile.date_format).date()
        except ValueError as error:
            raise ValidationFailedError(f"CSV statement date cannot be read: {text!r}") from error

    def _decimal(self, text: str) -> Decimal:
        cleaned = text.strip().replace(self._profile.thousands_separator, "")
        cleaned = cleaned.replace(self._profile.decimal_separator, ".")
        if not cleaned:
            return Decimal(0)
        try:
            return Decimal(cleaned)
        except InvalidOperation as error:
            raise ValidationFailedError(f"CSV statement amount cannot be read: {text!r}") from error


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def profile_for_bank(bank: str) -> CsvProfile | None:
    """The CSV profile of a bank folder of the statements bucket (`statements/{bank}/...`)."""
    return _profiles_by_bank().get(bank)
