"""SWIFT MT940 statements, read as a stream through the `mt-940` package's tag parsers.

The file is cut into fields line by line (a field runs from its `:nn:` tag to the next tag,
so wrapped and multi-line fields are joined), and each field is handed to `mt940`'s parser
for that tag. Only one statement line is held at a time, whatever the file's size.

Decisions, each taken from the sample statements:
- `RC` (reversal of a credit) is a debit and `RD` (reversal of a debit) a credit, both marked
  as reversals: with that reading every sample statement that carries both balances balances.
- An impossible value date (30 February) is clamped to the month's last day, as `mt940` does.
  The value date is informational here (the booking date drives reconciliation), and refusing
  the file would hold up the whole day's reconciliation for one cosmetic field.
- A `:86:` that follows a balance instead of a `:61:` is information about the statement.
- A second opening balance with no `:20:` in between starts a new statement.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import IO, Any

from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.statements import Direction, Statement, StatementLine

_FIELD_TAG = re.compile(r"^:(?P<tag>\d{2}[A-Z]?|NS):")
_SEPARATORS = frozenset({"-", "-}"})
_OPENING_TAGS = frozenset({"60F", "60M", "60"})
_CLOSING_TAGS = frozenset({"62F", "62M", "62"})
_STRUCTURED_DETAILS = re.compile(r"^\d{3}\?\d{2}")
_DETAIL_SUBFIELD = re.compile(r"\?(\d{2})")
# Sub-fields of a structured :86: that carry the remittance text (purpose and its extension).
_PURPOSE_SUBFIELDS = frozenset({*(f"{n}" for n in range(20, 30)), "60", "61", "62", "63"})

Field = tuple[str, str]


def read_statements(stream: IO[bytes]) -> Iterator[Statement]:
    """Every statement of an MT940 file, each to be read to its end before the next."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline=None)
    return _Mt940Reader(_fields(text)).statements()


def _fields(lines: Iterator[str]) -> Iterator[Field]:
    tag: str | None = None
    parts: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        match = _FIELD_TAG.match(line)
        if match or line.strip() in _SEPARATORS:
            if tag is not None:
                yield tag, "\n".join(parts)
            tag, parts = (match.group("tag"), [line[match.end() :]]) if match else (None, [])
            if not match:
                yield "-", ""
        elif tag is not None:
            parts.append(line)
    if tag is not None:
        yield tag, "\n".join(parts)


class _Mt940Reader:
    def __init__(self, fields: Iterator[Field]) -> None:
        import mt940

        self._mt940 = mt940
        self._options = mt940.Options(
            reversal_sign=True,
            case_insensitive_marks=True,
            unbounded_details=True,
            strip_bom=True,
            merge_keeps_values=True,
        )
        self._fields = fields
        self._pending: Field | None = None

    def statements(self) -> Iterator[Statement]:
        while (field := self._next()) is not None:
            if field[0] == "-":
                continue
            self._push_back(field)
            statement = self._read_header()
            yield statement
            for _ in statement.lines:
                pass

    def _next(self) -> Field | None:
        if self._pending is not None:
            field, self._pending = self._pending, None
            return field
        return next(self._fields, None)

    def _push_back(self, field: Field) -> None:
        self._pending = field

    def _read_header(self) -> Statement:
        context = self._mt940.models.Transactions(options=self._options)
        header: dict[str, str] = {}
        opening: Decimal | None = None
        while (field := self._next()) is not None:
            tag, value = field
            starts_body = tag in {"61", "86", "-", "64", "65"} or tag[:2] in {"62", "90"}
            second_opening = tag in _OPENING_TAGS and opening is not None
            repeats = (tag == "20" and "20" in header) or second_opening
            if starts_body or repeats:
                self._push_back(field)
                break
            if tag in _OPENING_TAGS:
                opening = self._balance(context, tag, value)
            else:
                header[tag[:2]] = value.strip()
        statement = Statement(
            statement_id=header.get("20", ""),
            account=header.get("25", ""),
            currency=context.currency or "",
            opening_balance=opening,
            sequence_number=header.get("28"),
            lines=iter(()),
        )
        statement.lines = self._lines(context, statement)
        return statement

    def _lines(self, context: Any, statement: Statement) -> Iterator[StatementLine]:
        line_field: str | None = None
        details: list[str] = []
        while (field := self._next()) is not None:
            tag, value = field
            if tag == "86" and line_field is not None:
                details.append(value)
                continue
            if line_field is not None:
                yield self._statement_line(context, line_field, details)
                statement.entry_count += 1
                line_field, details = None, []
            if tag == "61":
                line_field = value
            elif tag in _CLOSING_TAGS:
                closing = self._parsed_balance(context, tag, value)
                statement.closing_balance = closing.amount.amount
                statement.closing_date = _plain_date(closing.date)
            elif tag == "86":
                statement.information = _join_wrapped(value)
            elif tag == "-" or tag == "20" or tag in _OPENING_TAGS:
                if tag != "-":
                    self._push_back(field)
                break
        if line_field is not None:
            yield self._statement_line(context, line_field, details)
            statement.entry_count += 1

    def _balance(self, context: Any, tag: str, value: str) -> Decimal:
        return self._parsed_balance(context, tag, value).amount.amount

    def _parsed_balance(self, context: Any, tag: str, value: str) -> Any:
        parsed = self._parse_tag(context, tag, value)
        context.data.update(parsed)
        return next(iter(parsed.values()))

    def _parse_tag(self, context: Any, tag: str, value: str) -> dict[str, Any]:
        tags = self._mt940.tags.TAG_BY_ID
        parser = tags.get(tag) or tags[int(tag[:2])]
        try:
            values = parser.parse(context, value.strip())
            for pre in context.processors.get(f"pre_{parser.slug}", []):
                values = pre(context, parser, values)
            return parser(context, values)
        except (RuntimeError, ValueError, ArithmeticError) as error:
            raise ValidationFailedError(f"MT940 field :{tag}: cannot be read: {value!r}") from error

    def _statement_line(self, context: Any, value: str, details: list[str]) -> StatementLine:
        parsed = self._parse_tag(context, "61", value)
        mark = str(parsed["status"]).upper()
        signed = parsed["amount"].amount
        magnitude = abs(signed)
        value_date: date = parsed["date"]
        booking_date = parsed.get("entry_date") or value_date
        return StatementLine(
            booking_date=date(booking_date.year, booking_date.month, booking_date.day),
            value_date=date(value_date.year, value_date.month, value_date.day),
            amount=magnitude,
            booked_amount=magnitude,
            currency=context.currency or "",
            direction=Direction.DEBIT if signed < 0 else Direction.CREDIT,
            reversal=mark.startswith("R"),
            bank_reference=(parsed.get("bank_reference") or "").strip(),
            note=_note(details, parsed),
        )


def _plain_date(value: date | None) -> date | None:
    return None if value is None else date(value.year, value.month, value.day)


def _note(details: list[str], parsed: dict[str, Any]) -> str:
    if not details:
        return " ".join(
            str(parsed.get(key) or "").strip()
            for key in ("customer_reference", "extra_details")
            if parsed.get(key)
        )
    joined = _join_wrapped("\n".join(details))
    if _STRUCTURED_DETAILS.match(joined):
        return _purpose(joined)
    return joined


def _join_wrapped(value: str) -> str:
    # MT940 wraps a field at 65 characters, often mid-word: the lines join without a space.
    return "".join(part.strip("\r") for part in value.split("\n"))


def _purpose(details: str) -> str:
    pieces = _DETAIL_SUBFIELD.split(details)
    subfields = zip(pieces[1::2], pieces[2::2], strict=False)
    return "".join(text for code, text in subfields if code in _PURPOSE_SUBFIELDS)
