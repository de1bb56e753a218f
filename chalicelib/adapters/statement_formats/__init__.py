"""Bank statement formats: each reader streams `Statement`s out of a file of its format.

`read_statements` looks at the first bytes to choose the reader, so a bank may change format
without notice and still be read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import IO

from chalicelib.adapters.statement_formats.bank_csv import CsvProfile
from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.statements import Statement

_HEAD_SIZE = 4096
_MT940_FIELD = re.compile(rb"^\s*(\{1:|:20:|:25:|:60[FM]?:|:61:)", re.MULTILINE)


class StatementFormat(StrEnum):
    CAMT053 = "camt.053"
    MT940 = "mt940"
    CSV = "csv"


def detect_format(head: bytes) -> StatementFormat:
    """The format of a statement file, from its first few kilobytes."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        if b"camt.053" in head:
            return StatementFormat.CAMT053
        raise ValidationFailedError("XML statement is not camt.053")
    if _MT940_FIELD.search(head[:_HEAD_SIZE]):
        return StatementFormat.MT940
    return StatementFormat.CSV


def read_statements(
    stream: IO[bytes],
    *,
    csv_profile: CsvProfile | None = None,
    statement_id: str = "",
    account: str = "",
) -> Iterator[Statement]:
    """Every statement in a seekable file, whatever its format.

    `statement_id` and `account` stand in for what a CSV export does not carry.
    """
    head = stream.read(_HEAD_SIZE)
    stream.seek(0)
    statement_format = detect_format(head)
    if statement_format is StatementFormat.CAMT053:
        from chalicelib.adapters.statement_formats import camt053

        return camt053.read_statements(stream)
    if statement_format is StatementFormat.MT940:
        from chalicelib.adapters.statement_formats import mt940_format

        return mt940_format.read_statements(stream)
    if csv_profile is None:
        raise ValidationFailedError("CSV statement received but the bank has no CSV profile")
    from chalicelib.adapters.statement_formats import bank_csv

    return bank_csv.read_statements(stream, csv_profile, statement_id=statement_id, account=account)
