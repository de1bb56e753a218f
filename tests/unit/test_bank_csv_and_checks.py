"""Bank CSV profiles (encodings, columns) and the statement checks."""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.adapters.statement_formats import read_statements
from chalicelib.adapters.statement_formats.bank_csv import (
    PROFILES_FILE,
    CsvProfile,
    profile_for_bank,
    profiles_from,
)
from chalicelib.domain.banks import bank_directory
from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.statements import (
    Direction,
    Statement,
    StatementLine,
    StatementProblem,
    StatementTally,
    account_matches,
    check_statement,
    sequence_has_gap,
)

HEADER = "So tai khoan,Ngay giao dich,Ngay hieu luc,Ghi no,Ghi co,So du,So tham chieu,Noi dung\n"
ROWS = (
    "19030000000001,02/10/2025,02/10/2025,,60000,1060000,FT1,Thanh toán lệ phí CO7K3M9Q2XA\n"
    '19030000000001,02/10/2025,02/10/2025,"1,000",,1059000,FT2,Phí dịch vụ\n'
)


TECHCOMBANK = profile_for_bank("techcombank")
assert TECHCOMBANK is not None


def read_one(raw: bytes, profile: CsvProfile = TECHCOMBANK) -> tuple[Statement, list]:
    [statement] = list(read_statements(io.BytesIO(raw), csv_profile=profile, statement_id="f1"))
    return statement, list(statement.lines)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_csv_with_or_without_bom_reads_the_same(bom: bytes) -> None:
    statement, lines = read_one(bom + (HEADER + ROWS).encode("utf-8"))

    assert [(line.direction, line.amount) for line in lines] == [
        (Direction.CREDIT, Decimal(60000)),
        (Direction.DEBIT, Decimal(1000)),
    ]
    assert statement.account == "19030000000001"
    assert (statement.opening_balance, statement.closing_balance) == (1000000, 1059000)
    assert lines[0].booking_date == date(2025, 10, 2)


def windows_1258(text: str) -> bytes:
    """Encode as Windows-1258 does: base letter (with circumflex, breve or horn) + tone mark."""
    encoded = b""
    for char in text:
        try:
            encoded += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
        for mark in marks:
            combined = unicodedata.normalize("NFC", base + mark)
            if len(combined) == 1:
                try:
                    combined.encode("cp1258")
                except UnicodeEncodeError:
                    continue
                base = combined
                marks.remove(mark)
                break
        encoded += (base + "".join(marks)).encode("cp1258")
    return encoded


def test_windows_1258_csv_is_decoded_and_normalised_to_nfc() -> None:
    raw = windows_1258(HEADER + ROWS)
    profile = TECHCOMBANK.model_copy(update={"encoding": "cp1258"})

    _, lines = read_one(raw, profile)

    assert raw.decode("cp1258") != HEADER + ROWS
    assert lines[0].note == "Thanh toán lệ phí CO7K3M9Q2XA"
    assert unicodedata.is_normalized("NFC", lines[1].note)


WINDOWS_1258_EXPORT = (
    "Số tài khoản;Ngày giao dịch;Số tiền ghi nợ;Số tiền ghi có;Số dư;Số bút toán;Nội dung\n"
    "19030000000001;02/10/2025;;60.000;1.060.000;FT1;Thanh toán lệ phí CO7K3M9Q2XA\n"
    "19030000000001;02/10/2025;1.000,50;;1.058.999,50;FT2;Phí dịch vụ\n"
)


def test_windows_1258_profile_reads_vietnamese_headers_and_decimal_commas() -> None:
    # given an export in Windows-1258, headers with tone marks, semicolons, "1.000,50"
    profile = profile_for_bank("agribank")
    assert profile is not None and profile.encoding == "cp1258"

    # when
    statement, lines = read_one(windows_1258(WINDOWS_1258_EXPORT), profile)

    # then
    assert [(line.direction, line.amount, line.bank_reference) for line in lines] == [
        (Direction.CREDIT, Decimal(60000), "FT1"),
        (Direction.DEBIT, Decimal("1000.50"), "FT2"),
    ]
    assert lines[1].note == "Phí dịch vụ"
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal(1000000),
        Decimal("1058999.50"),
    )


def test_every_csv_profile_is_for_a_bank_folder_the_bank_directory_knows() -> None:
    codes = {bank.code for bank in bank_directory().banks}
    folders = json.loads(PROFILES_FILE.read_text(encoding="utf-8"))

    assert set(folders) <= codes
    assert all(profile_for_bank(folder) is not None for folder in folders)
    assert profile_for_bank("unknown-bank") is None


def test_csv_profile_with_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="decimal_style"):
        profiles_from(
            {"acb": {"decimal_style": ",", "columns": {"booking_date": "d", "note": "n"}}}
        )


def test_csv_profile_with_signed_amount_column_and_semicolons() -> None:
    profile = CsvProfile(
        delimiter=";",
        booking_date="date",
        amount="amount",
        note="memo",
        date_format="%Y-%m-%d",
        decimal_separator=",",
        thousands_separator=".",
    )
    raw = "date;amount;memo\n2025-10-02;60.000;CO7K3M9Q2XA\n2025-10-02;-1.000,50;fee\n"

    statement, lines = read_one(raw.encode(), profile)

    assert [(line.direction, line.amount) for line in lines] == [
        (Direction.CREDIT, Decimal(60000)),
        (Direction.DEBIT, Decimal("1000.50")),
    ]
    assert statement.opening_balance is None


def test_csv_in_the_wrong_encoding_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValidationFailedError, match="utf-8"):
        read_one((HEADER + ROWS).encode("utf-16"))


def test_csv_without_a_profile_is_refused() -> None:
    with pytest.raises(ValidationFailedError, match="CSV profile"):
        read_statements(io.BytesIO(b"a,b\n1,2\n"))


def statement_of(lines: list[StatementLine], **header: object) -> tuple[Statement, StatementTally]:
    fields = {
        "statement_id": "S1",
        "account": "970407/19030000000001",
        "currency": "VND",
        "opening_balance": Decimal(100),
        "closing_balance": Decimal(160),
        "sequence_number": "00012/001",
        **header,
    }
    statement = Statement(lines=iter(lines), **fields)
    tally = StatementTally()
    for line in statement.lines:
        tally.add(line)
    return statement, tally


CREDIT_60 = StatementLine(
    booking_date=date(2025, 10, 2),
    amount=Decimal(60),
    booked_amount=Decimal(60),
    currency="VND",
    direction=Direction.CREDIT,
)


def test_balanced_statement_of_the_fee_account_following_yesterdays_has_no_problem() -> None:
    statement, tally = statement_of([CREDIT_60])

    check = check_statement(
        statement, tally, fee_account="19030000000001", previous_sequence_number="00011/001"
    )

    assert check.problems == ()


def test_statement_that_does_not_add_up_is_unbalanced() -> None:
    statement, tally = statement_of([CREDIT_60], closing_balance=Decimal(161))

    check = check_statement(
        statement, tally, fee_account="19030000000001", previous_sequence_number=None
    )

    assert check.problems == (StatementProblem.UNBALANCED,)
    assert check.is_blocking


def test_statement_of_another_account_is_flagged() -> None:
    statement, tally = statement_of([CREDIT_60])

    check = check_statement(
        statement, tally, fee_account="19039999999999", previous_sequence_number=None
    )

    assert check.problems == (StatementProblem.WRONG_ACCOUNT,)


def test_skipped_sequence_number_is_a_gap_but_not_blocking() -> None:
    statement, tally = statement_of([CREDIT_60], sequence_number="00014/001")

    check = check_statement(
        statement, tally, fee_account="19030000000001", previous_sequence_number="00012/001"
    )

    assert check.problems == (StatementProblem.SEQUENCE_GAP,)
    assert not check.is_blocking


def test_statement_without_closing_balance_is_incomplete() -> None:
    statement, tally = statement_of([CREDIT_60], closing_balance=None)

    check = check_statement(
        statement, tally, fee_account="19030000000001", previous_sequence_number=None
    )

    assert check.problems == (StatementProblem.INCOMPLETE,)


def test_account_and_sequence_rules() -> None:
    assert account_matches("19030000000001", "1903-0000-0000-01")
    assert not account_matches("19030000000001", "")
    assert sequence_has_gap("122", "124")
    assert not sequence_has_gap("122", "123")
    assert not sequence_has_gap(None, "5")


@pytest.mark.parametrize(
    ("statement_account", "fee_account"),
    [
        ("19030000000001", "1903-0000-0000-01"),
        ("970407/19030000000001", "19030000000001"),
        ("TECHVNVX/19030000000001", "19030000000001"),
        ("NL91ABNA0417164300", "ABNA0417164300"),
        ("ABNA 0417 1643 00", "NL91 ABNA 0417 1643 00"),
        ("NL91ABNA0417164300", "nl91abna0417164300"),
    ],
)
def test_statement_account_in_another_form_of_the_same_number_matches(
    statement_account: str, fee_account: str
) -> None:
    assert account_matches(statement_account, fee_account)


@pytest.mark.parametrize(
    ("statement_account", "fee_account"),
    [
        ("119030000000001", "19030000000001"),
        ("970407/119030000000001", "19030000000001"),
        ("19030000000001/970407", "19030000000001"),
        ("NL91ABNA0417164300", "0417164300"),
        ("NL92ABNA0417164300", "ABNA0417164300"),
        ("", "19030000000001"),
        ("19030000000001", ""),
    ],
)
def test_statement_account_that_only_ends_like_the_fee_account_does_not_match(
    statement_account: str, fee_account: str
) -> None:
    assert not account_matches(statement_account, fee_account)


def test_statement_of_another_day_than_its_folder_is_flagged() -> None:
    statement, tally = statement_of([CREDIT_60], closing_date=date(2025, 10, 1))

    check = check_statement(
        statement,
        tally,
        fee_account="19030000000001",
        previous_sequence_number=None,
        statement_day=date(2025, 10, 2),
    )

    assert check.problems == (StatementProblem.WRONG_DAY,)
    assert check.is_blocking


def test_statement_of_its_folder_day_has_no_day_problem() -> None:
    statement, tally = statement_of([CREDIT_60], closing_date=date(2025, 10, 2))

    check = check_statement(
        statement,
        tally,
        fee_account="19030000000001",
        previous_sequence_number=None,
        statement_day=date(2025, 10, 2),
    )

    assert check.problems == ()
