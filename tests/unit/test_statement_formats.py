"""Every sample statement through its reader, with the outcome its README promises."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.adapters.statement_formats import StatementFormat, detect_format, read_statements
from chalicelib.adapters.statement_formats.camt053 import UnsafeXmlError
from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.statements import (
    Direction,
    StatementLine,
    StatementProblem,
    StatementTally,
    check_statement,
)
from tests.sample_files import external_sample


def read_all(name: str) -> list[tuple[object, list[StatementLine], object]]:
    """Each statement with its lines and its checks (against its own account)."""
    results = []
    with external_sample(name).open("rb") as stream:
        for statement in read_statements(stream):
            tally = StatementTally()
            lines = []
            for line in statement.lines:
                tally.add(line)
                lines.append(line)
            check = check_statement(
                statement,
                tally,
                fee_account=statement.account or "unknown",
                previous_sequence_number=None,
            )
            results.append((statement, lines, check))
    return results


def test_sepa_reversals_balance_in_every_statement_with_both_final_balances() -> None:
    text = external_sample("mt940_sepa_reversals_betterplace.sta").read_text("utf-8")
    blocks = [block for block in text.split("\n-") if ":20:" in block]
    with_final_balances = [b for b in blocks if ":60F:" in b and ":62F:" in b]

    statements = read_all("mt940_sepa_reversals_betterplace.sta")

    assert len(with_final_balances) == 15
    assert len(statements) == len(blocks) == 26
    assert all(statement.closing_balance is not None for statement, _, _ in statements)
    assert all(StatementProblem.UNBALANCED not in check.problems for _, _, check in statements)
    final = [
        item for item, block in zip(statements, blocks, strict=True) if block in with_final_balances
    ]
    assert len(final) == 15
    for statement, _, check in final:
        assert statement.opening_balance is not None, statement.statement_id
        assert statement.closing_balance is not None, statement.statement_id
        assert check.problems == (), (statement.statement_id, check.details)


def test_mt940_reversal_of_a_credit_is_a_debit_marked_as_reversal() -> None:
    first_statement, lines, _ = read_all("mt940_sepa_reversals_betterplace.sta")[0]

    reversals = [line for line in lines if line.reversal]

    assert first_statement.statement_id == "T089413946000001"
    assert [(line.direction, line.amount) for line in reversals] == [
        (Direction.DEBIT, Decimal("204.88"))
    ]


def test_mt940_statement_day_is_the_date_of_its_closing_balance() -> None:
    [(statement, _, _)] = read_all("mt940_february_30.sta")

    assert statement.closing_date == date(2016, 3, 1)


def test_camt_statement_day_is_the_date_of_its_closing_balance() -> None:
    [(statement, _, _)] = read_all("camt053_v04_reversals_charges_batch.xml")

    assert statement.closing_date == date(2016, 4, 30)


def test_mt940_debit_opening_balance_is_negative() -> None:
    statement, _, _ = read_all("mt940_sepa_reversals_betterplace.sta")[0]

    assert statement.opening_balance == Decimal("-1234718.36")
    assert statement.closing_balance == Decimal("-1237628.23")


def test_mt940_amount_formats_read_with_missing_or_leading_digits() -> None:
    statements = read_all("mt940_amount_formats_betterplace.sta")

    assert [statement.opening_balance for statement, _, _ in statements] == [
        Decimal("380115.12"),
        Decimal("380115.1"),
        Decimal("380115"),
        Decimal("0.12"),
        Decimal("0.12"),
        Decimal("1.12"),
    ]
    assert all(StatementProblem.INCOMPLETE in check.problems for _, _, check in statements)


def test_mt940_non_ascii_text_survives_and_wrapped_subfields_join() -> None:
    statements = read_all("mt940_non_ascii_betterplace.sta")

    first, lines, check = statements[0]
    assert first.statement_id == "STAR1ÜTßUMS"
    assert "ABBUCHUNGVOM PAYPAL-KONTO" in lines[0].note
    assert "Überweisung" in statements[1][1][0].note
    assert check.problems == ()


def test_mt940_multiline_86_is_one_note_and_trailing_86_belongs_to_the_statement() -> None:
    statements = read_all("mt940_multiline_86.sta")

    statement, lines, check = statements[0]
    assert len(lines) == 1
    assert lines[0].note.startswith("LIGNE111111111111111111111X12345678LIGNE2222")
    assert "LIGNE101010101010101010101X12345678" in lines[0].note
    assert statement.information.startswith("FREE TEXT")
    assert "FREE TEXT" not in lines[0].note
    assert check.problems == ()


def test_mt940_wrapped_61_continues_onto_the_next_line() -> None:
    statements = read_all("mt940_multiline_86.sta")

    _, lines, check = statements[1]
    assert lines[0].amount == Decimal("119")
    assert lines[0].direction is Direction.CREDIT
    assert "Paiement" in lines[0].note
    assert StatementProblem.INCOMPLETE in check.problems


def test_mt940_february_30_value_date_is_clamped_and_booking_date_kept() -> None:
    [(statement, lines, check)] = read_all("mt940_february_30.sta")

    assert lines[0].value_date == date(2016, 2, 29)
    assert lines[0].booking_date == date(2016, 3, 1)
    assert check.problems == ()
    assert statement.closing_balance == Decimal("1194.00")


def test_camt_v04_reversal_keeps_booking_direction_and_statement_balances() -> None:
    [(statement, lines, check)] = read_all("camt053_v04_reversals_charges_batch.xml")

    reversals = [line for line in lines if line.reversal]
    assert [(line.direction, line.amount) for line in reversals] == [
        (Direction.DEBIT, Decimal("6.00")),
        (Direction.DEBIT, Decimal("15.53")),
    ]
    assert check.problems == ()
    assert statement.entry_count == 13


def test_camt_v04_batch_gives_one_line_per_payment_and_entry_amount_once() -> None:
    [(_, lines, _)] = read_all("camt053_v04_reversals_charges_batch.xml")

    batch = [line for line in lines if line.bank_reference.startswith("160406CH00")]
    assert [line.amount for line in batch] == [Decimal("20.00"), Decimal("40.00"), Decimal("50")]
    assert sum(line.booked_amount for line in batch) == Decimal("110.00")
    assert batch[0].note == "Mitteilung Return Muster"
    assert len(lines) == 32


def test_camt_v04_charges_are_kept_on_the_line() -> None:
    [(_, lines, _)] = read_all("camt053_v04_reversals_charges_batch.xml")

    assert lines[-1].charges == Decimal("0.70")


def test_camt_v02_with_missing_entries_is_flagged_incomplete() -> None:
    [(statement, lines, check)] = read_all("camt053_v02_batch_txsummary.xml")

    assert statement.declared_entry_count == 35
    assert len(lines) == 3
    assert StatementProblem.INCOMPLETE in check.problems
    assert check.is_blocking


def test_camt_v08_foreign_currency_entry_is_counted_in_account_currency() -> None:
    [(statement, lines, check)] = read_all("camt053_v08_fx_one_decimal.xml")

    fx_line = lines[-1]
    assert statement.currency == "CHF"
    assert (fx_line.amount, fx_line.currency) == (Decimal("19.69"), "CHF")
    assert (fx_line.counter_amount, fx_line.counter_currency) == (Decimal("20.97"), "EUR")
    assert lines[0].amount == Decimal("474.4")
    assert lines[1].note == "RF38000000000000000000552"
    assert check.problems == (StatementProblem.UNBALANCED,)


def test_xml_with_entity_expansion_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
        b"<BkToCstmrStmt><Stmt><Id>&lol3;</Id></Stmt></BkToCstmrStmt></Document>"
    )

    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        list(read_statements(io.BytesIO(laughs)))


def test_xml_that_is_not_camt053_is_refused() -> None:
    with pytest.raises(ValidationFailedError):
        list(read_statements(io.BytesIO(b"<?xml version='1.0'?><Other/>")))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("camt053_v02_batch_txsummary.xml", StatementFormat.CAMT053),
        ("mt940_multiline_86.sta", StatementFormat.MT940),
        ("mt940_amount_formats_betterplace.sta", StatementFormat.MT940),
        ("mt940_february_30.sta", StatementFormat.MT940),
    ],
)
def test_format_is_detected_from_content(name: str, expected: StatementFormat) -> None:
    assert detect_format(external_sample(name).read_bytes()[:4096]) is expected
