"""ISO 20022 camt.053 (versions .001.02 to .001.08), read as a stream with lxml's iterparse.

The libraries on offer either need the whole document in memory or drop the remittance text,
so this reads the few paths reconciliation needs. Each `Ntry` is handled when its end tag
arrives and then cleared, so memory stays flat whatever the number of entries.

Safety: a document type declaration (where entity expansion attacks live) is refused before
parsing, and the parser itself resolves no entities, loads no DTD and touches no network.

Reading rules, each checked against the sample statements:
- `CdtDbtInd` is the booking direction, also on reversals: `RvslInd` marks a line as a
  reversal and never flips its sign (the samples balance only that way).
- A batch booking (`Ntry` with several `TxDtls`) gives one line per payment; the first line
  carries the entry's amount for the balance, the others none.
- An entry in a foreign currency is counted in the account's currency, taken from the amount
  details (`InstdAmt`/`TxAmt`/`CntrValAmt`) that carry it; the foreign amount is kept as the
  counter-value.
- Charges (`Chrgs`) are informational: banks book them as separate entries.
- Only booked entries (`Sts` `BOOK`, or no status) are lines; pending ones are not on the
  account yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import IO, Any

from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.statements import Direction, Statement, StatementLine

_PROLOG_LIMIT = 64 * 1024
_ROOT_START = re.compile(rb"<(?![?!])")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_NAMESPACE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0[2-8]")
_ENTRY_TAGS = (
    "Amt",
    "AmtDtls",
    "CdtDbtInd",
    "RvslInd",
    "Sts",
    "BookgDt",
    "ValDt",
    "AcctSvcrRef",
    "NtryRef",
    "AddtlNtryInf",
    "NtryDtls",
    "TxDtls",
    "Refs",
    "Ustrd",
    "Ref",
    "CdtrRefInf",
    "AddtlRmtInf",
    "Chrgs",
    "TtlChrgsAndTaxAmt",
)
_AMOUNT_DETAIL_PATHS = ("InstdAmt/Amt", "TxAmt/Amt", "CntrValAmt/Amt", "AnncdPstngAmt/Amt")


class UnsafeXmlError(ValidationFailedError):
    """An XML statement declares a document type or entities; it is refused unread."""


def read_statements(stream: IO[bytes]) -> Iterator[Statement]:
    """Every `Stmt` of a camt.053 document, each to be read to its end before the next."""
    from lxml import etree

    head = _safe_prolog(stream)
    namespace = _namespace(head)
    events = etree.iterparse(
        _Rewound(head, stream),
        events=("start", "end"),
        tag=(f"{{{namespace}}}Stmt", f"{{{namespace}}}Ntry"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    return _CamtReader(events, namespace).statements()


def _safe_prolog(stream: IO[bytes]) -> bytes:
    head = b""
    while len(head) < _PROLOG_LIMIT:
        chunk = stream.read(4096)
        if not chunk:
            break
        head += chunk
        if _ROOT_START.search(head.split(b"?>", 1)[-1]):
            break
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:64]:
        raise UnsafeXmlError("XML statements must be UTF-8 encoded")
    root = _ROOT_START.search(head.split(b"?>", 1)[-1])
    prolog = head.split(b"?>", 1)[-1][: root.start() if root else None]
    if _DOCTYPE.search(prolog) or _DOCTYPE.search(head[:_PROLOG_LIMIT]):
        raise UnsafeXmlError("XML statements with a DOCTYPE or ENTITY declaration are refused")
    return head


def _namespace(head: bytes) -> str:
    match = _NAMESPACE.search(head)
    if match is None:
        raise ValidationFailedError("not a camt.053.001.02 to .08 document")
    return match.group(0).decode("ascii")


class _Rewound:
    """The stream with its already-read head put back in front, read-only and forward-only."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            chunk, self._head = self._head, b""
            return chunk
        return self._rest.read(size if size and size > 0 else 1 << 16)


class _CamtReader:
    def __init__(self, events: Any, namespace: str) -> None:
        self._events = events
        self._ns = namespace
        self._qualified = {name: f"{{{namespace}}}{name}" for name in _ENTRY_TAGS}

    def statements(self) -> Iterator[Statement]:
        from lxml import etree

        try:
            yield from self._statements()
        except etree.XMLSyntaxError as error:
            raise ValidationFailedError(f"camt.053 document is not well formed: {error}") from error

    def _statements(self) -> Iterator[Statement]:
        for event, element in self._events:
            if event == "start" and element.tag == self._q("Stmt"):
                statement = self._read_header(element)
                yield statement
                for _ in statement.lines:
                    pass
                element.clear()

    def _q(self, name: str) -> str:
        return f"{{{self._ns}}}{name}"

    def _read_header(self, statement_element: Any) -> Statement:
        # Header elements (Id, Acct, Bal, TxsSummry) precede the first Ntry in every version.
        for event, element in self._events:
            if event == "start" and element.tag == self._q("Ntry"):
                break
            if event == "end" and element.tag == self._q("Stmt"):
                break
        statement = Statement(
            statement_id=self._text(statement_element, "Id"),
            account=self._account(statement_element),
            currency=self._currency(statement_element),
            opening_balance=self._balance(statement_element, ("OPBD", "PRCD")),
            closing_balance=self._balance(statement_element, ("CLBD",)),
            closing_date=self._balance_date(statement_element, "CLBD"),
            sequence_number=self._text(statement_element, "ElctrncSeqNb") or None,
            declared_entry_count=self._declared_count(statement_element),
            statement_date=self._statement_date(statement_element),
            lines=iter(()),
        )
        statement.lines = self._lines(statement, statement_element, started=event == "start")
        return statement

    def _lines(
        self, statement: Statement, parent: Any, *, started: bool
    ) -> Iterator[StatementLine]:
        if not started:
            return
        for event, element in self._events:
            if event == "end" and element.tag == self._q("Ntry"):
                statement.entry_count += 1
                yield from self._entry_lines(statement, element)
                element.clear()
                parent.remove(element)
            elif event == "end" and element.tag == self._q("Stmt"):
                return

    def _entry_lines(self, statement: Statement, entry: Any) -> Iterator[StatementLine]:
        # Direct children by tag: lxml's child iteration runs in C, path look-ups do not.
        parts = {child.tag: child for child in entry}
        q = self._qualified
        status = parts.get(q["Sts"])
        if status is not None and _own_or_first_text(status) not in ("BOOK", ""):
            return
        entry_amount = self._account_amount(parts, statement.currency)
        amount_element = parts[q["Amt"]]
        foreign = amount_element.get("Ccy") != statement.currency
        entry_reference = _text_of(parts.get(q["AcctSvcrRef"])) or _text_of(parts.get(q["NtryRef"]))
        entry_note = _text_of(parts.get(q["AddtlNtryInf"]))
        details_element = parts.get(q["NtryDtls"])
        details = [] if details_element is None else list(details_element.iter(q["TxDtls"]))
        common: dict[str, Any] = {
            "booking_date": _date_of(parts.get(q["BookgDt"])) or statement.statement_date,
            "value_date": _date_of(parts.get(q["ValDt"])),
            "currency": statement.currency,
            "direction": _direction(_text_of(parts.get(q["CdtDbtInd"]))),
            "reversal": _text_of(parts.get(q["RvslInd"])).lower() == "true",
            "booked_amount": entry_amount,
            "counter_amount": _decimal(amount_element.text) if foreign else None,
            "counter_currency": amount_element.get("Ccy") if foreign else None,
        }
        entry_charges = self._charges(parts)
        if len(details) <= 1:
            transaction = {child.tag: child for child in details[0]} if details else {}
            yield StatementLine(
                amount=entry_amount,
                bank_reference=self._reference(transaction) or entry_reference,
                note=self._remittance(details[0] if details else None) or entry_note,
                charges=self._charges(transaction) or entry_charges,
                **common,
            )
            return
        for position, detail in enumerate(details):
            transaction = {child.tag: child for child in detail}
            yield StatementLine(
                **{**common, "booked_amount": entry_amount if position == 0 else Decimal(0)},
                amount=self._account_amount(transaction, statement.currency),
                bank_reference=self._reference(transaction) or entry_reference,
                note=self._remittance(detail) or entry_note,
                charges=self._charges(transaction) or entry_charges,
            )

    def _reference(self, transaction: dict[str, Any]) -> str:
        references = transaction.get(self._qualified["Refs"])
        if references is None:
            return ""
        return _text_of(references.find(self._qualified["AcctSvcrRef"]))

    def _account_amount(self, parts: dict[str, Any], currency: str) -> Decimal:
        q = self._qualified
        amount = parts.get(q["Amt"])
        if amount is not None and amount.get("Ccy") == currency:
            return _decimal(amount.text)
        details = parts.get(q["AmtDtls"])
        for path in _AMOUNT_DETAIL_PATHS:
            found = details.find(self._path(path)) if details is not None else None
            if found is not None and found.get("Ccy") == currency:
                return _decimal(found.text)
        if amount is None:
            return Decimal(0)
        raise ValidationFailedError(
            f"entry in {amount.get('Ccy')} has no amount in the account currency {currency}"
        )

    def _remittance(self, detail: Any | None) -> str:
        if detail is None:
            return ""
        q = self._qualified
        texts = []
        for node in detail.iter(q["Ustrd"], q["Ref"], q["AddtlRmtInf"]):
            if node.tag == q["Ref"] and node.getparent().tag != q["CdtrRefInf"]:
                continue
            text = (node.text or "").strip()
            if text:
                texts.append(text)
        return " ".join(texts)

    def _charges(self, parts: dict[str, Any]) -> Decimal | None:
        charges = parts.get(self._qualified["Chrgs"])
        if charges is None:
            return None
        total = charges.find(self._qualified["TtlChrgsAndTaxAmt"])
        return _decimal(total.text) if total is not None else None

    def _balance(self, statement_element: Any, codes: tuple[str, ...]) -> Decimal | None:
        balances = {
            self._text(balance, "Tp/CdOrPrtry/Cd"): balance
            for balance in statement_element.findall(self._q("Bal"))
        }
        for code in codes:
            if code in balances:
                amount = _decimal(self._text(balances[code], "Amt"))
                debit = self._text(balances[code], "CdtDbtInd") == "DBIT"
                return -amount if debit else amount
        return None

    def _balance_date(self, statement_element: Any, code: str) -> date | None:
        for balance in statement_element.findall(self._q("Bal")):
            if self._text(balance, "Tp/CdOrPrtry/Cd") == code:
                stamp = self._text(balance, "Dt/Dt") or self._text(balance, "Dt/DtTm")
                return date.fromisoformat(stamp[:10]) if stamp else None
        return None

    def _declared_count(self, statement_element: Any) -> int | None:
        count = self._text(statement_element, "TxsSummry/TtlNtries/NbOfNtries")
        return int(count) if count.isdigit() else None

    def _statement_date(self, statement_element: Any) -> date | None:
        stamp = self._text(statement_element, "FrToDt/ToDtTm") or self._text(
            statement_element, "CreDtTm"
        )
        return date.fromisoformat(stamp[:10]) if stamp else None

    def _currency(self, statement_element: Any) -> str:
        # The account currency is optional in the schema; the balances always carry one.
        declared = self._text(statement_element, "Acct/Ccy")
        balance_amount = statement_element.find(self._path("Bal/Amt"))
        if declared or balance_amount is None:
            return declared
        return balance_amount.get("Ccy", "")

    def _account(self, statement_element: Any) -> str:
        return self._text(statement_element, "Acct/Id/IBAN") or self._text(
            statement_element, "Acct/Id/Othr/Id"
        )

    def _date(self, element: Any, name: str) -> date | None:
        stamp = self._text(element, f"{name}/Dt") or self._text(element, f"{name}/DtTm")
        return date.fromisoformat(stamp[:10]) if stamp else None

    def _text(self, element: Any, path: str) -> str:
        found = element.find(self._path(path))
        return (found.text or "").strip() if found is not None else ""

    def _path(self, path: str) -> str:
        return "/".join(self._q(part) for part in path.split("/"))


def _text_of(element: Any | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _own_or_first_text(element: Any) -> str:
    """`<Sts>BOOK</Sts>` up to .02, `<Sts><Cd>BOOK</Cd></Sts>` from .08 on."""
    own = (element.text or "").strip()
    if own or len(element) == 0:
        return own
    return (element[0].text or "").strip()


def _date_of(element: Any | None) -> date | None:
    if element is None or len(element) == 0:
        return None
    stamp = (element[0].text or "").strip()
    return _day(stamp[:10]) if stamp else None


@lru_cache(maxsize=64)
def _day(text: str) -> date:
    # A statement's entries share a handful of dates: parse each once.
    return date.fromisoformat(text)


def _direction(indicator: str) -> Direction:
    return Direction.DEBIT if indicator == "DBIT" else Direction.CREDIT


def _decimal(text: str | None) -> Decimal:
    try:
        return Decimal((text or "").strip())
    except InvalidOperation as error:
        raise ValidationFailedError(f"camt.053 amount cannot be read: {text!r}") from error
