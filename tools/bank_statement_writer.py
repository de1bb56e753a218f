"""Statement files as a bank would write them, for the demo, the tests and the benchmark.

Lines are written as they come from an iterable, so a statement of a million lines never
sits in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class BankLine:
    amount: int
    note: str
    credit: bool = True
    reversal: bool = False
    bank_reference: str = ""
    booking_date: date | None = None


def write_mt940(
    out: IO[str],
    *,
    account: str,
    statement_id: str,
    sequence: int,
    day: date,
    opening: int,
    lines: Iterable[BankLine],
    currency: str = "VND",
) -> int:
    """Writes one statement; returns its closing balance."""
    out.write(f":20:{statement_id}\n:25:{account}\n:28C:{sequence:05d}/001\n")
    out.write(f":60F:{_mark(opening)}{day:%y%m%d}{currency}{_amount(abs(opening))}\n")
    balance = opening
    for number, line in enumerate(lines):
        booked = line.booking_date or day
        mark = ("R" if line.reversal else "") + ("C" if line.credit else "D")
        balance += _signed(line)
        reference = line.bank_reference or f"FT{number:012d}"
        out.write(
            f":61:{booked:%y%m%d}{booked:%m%d}{mark}{_amount(line.amount)}NTRFNONREF//{reference}\n"
        )
        out.write(f":86:{line.note}\n")
    out.write(f":62F:{_mark(balance)}{day:%y%m%d}{currency}{_amount(abs(balance))}\n-\n")
    return balance


def write_camt053(
    out: IO[str],
    *,
    account: str,
    statement_id: str,
    sequence: int,
    day: date,
    opening: int,
    lines: Callable[[], Iterable[BankLine]] | Sequence[BankLine],
    currency: str = "VND",
    version: int = 8,
) -> int:
    """Writes one camt.053.001.0{version} statement (balances before entries, as banks do).

    The closing balance must be known before the entries, so the lines are read twice: give
    a sequence, or a function returning a fresh iterable each time.
    """
    read = lines if callable(lines) else (lambda: lines)
    closing = opening + sum(_signed(line) for line in read())
    namespace = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.0{version}"
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{namespace}">')
    out.write(f"<BkToCstmrStmt><GrpHdr><MsgId>{statement_id}</MsgId></GrpHdr><Stmt>")
    out.write(f"<Id>{statement_id}</Id><ElctrncSeqNb>{sequence}</ElctrncSeqNb>")
    out.write(f"<Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>{currency}</Ccy></Acct>")
    for code, amount in (("OPBD", opening), ("CLBD", closing)):
        out.write(
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="{currency}">{abs(amount)}</Amt>'
            f"<CdtDbtInd>{'CRDT' if amount >= 0 else 'DBIT'}</CdtDbtInd>"
            f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
        )
    for number, line in enumerate(read()):
        booked = (line.booking_date or day).isoformat()
        reference = line.bank_reference or f"FT{number:012d}"
        out.write(
            f'<Ntry><Amt Ccy="{currency}">{line.amount}</Amt>'
            f"<CdtDbtInd>{'CRDT' if _signed(line) > 0 else 'DBIT'}</CdtDbtInd>"
            f"<RvslInd>{'true' if line.reversal else 'false'}</RvslInd>"
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{booked}</Dt></BookgDt>"
            f"<AcctSvcrRef>{reference}</AcctSvcrRef><NtryDtls><TxDtls>"
            f"<RmtInf><Ustrd>{escape(line.note)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    out.write("</Stmt></BkToCstmrStmt></Document>\n")
    return closing


def _signed(line: BankLine) -> int:
    # RC (reversal of a credit) takes money out like a debit; RD puts it back like a credit.
    credit = line.credit != line.reversal if line.reversal else line.credit
    return line.amount if credit else -line.amount


def _mark(balance: int) -> str:
    return "C" if balance >= 0 else "D"


def _amount(value: int | Decimal) -> str:
    return f"{value},"
