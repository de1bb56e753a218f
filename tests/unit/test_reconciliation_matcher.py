"""The matcher: each outcome from a statement built for it."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from chalicelib.adapters.statement_formats import read_statements
from chalicelib.domain.payment_reference import check_character
from chalicelib.domain.reconciliation import (
    VIETNAM,
    Matcher,
    MissedPayment,
    Outcome,
    PendingPayment,
    ReconciliationPolicy,
    RecordedPayment,
    ReportRow,
    working_days_between,
)
from tools.bank_statement_writer import BankLine, write_mt940

DAY = date(2025, 10, 2)  # a Thursday
FEE = 60000


def reference(body: str) -> str:
    return "CO" + body + check_character(body)


REF_A, REF_B, REF_C = reference("7K3M9Q2X"), reference("AB12CD34"), reference("ZZ99YY88")


class ListSink:
    def __init__(self) -> None:
        self.rows: list[ReportRow] = []

    def add(self, row: ReportRow) -> None:
        self.rows.append(row)


def recorded(ref: str, amount: int = FEE, at: datetime | None = None) -> RecordedPayment:
    credited_at = at or datetime(2025, 10, 2, 3, 0, tzinfo=UTC)
    return RecordedPayment(
        payment_reference=ref,
        amount_vnd=amount,
        txn_id=f"TXN-{ref}",
        credited_at=credited_at,
        dossier_id=f"D-{ref}",
    )


def pending_since(days_ago: int) -> PendingPayment:
    return PendingPayment(
        payment_reference=REF_C,
        amount_vnd=FEE,
        txn_id="T",
        dossier_id="D",
        recorded_on=DAY - timedelta(days=days_ago),
    )


def reconcile(
    lines: list[BankLine],
    payments: Iterable[RecordedPayment] = (),
    pending: Iterable[PendingPayment] = (),
    day: date = DAY,
) -> tuple[dict[str, Outcome], Matcher, list[ReportRow]]:
    text = io.StringIO()
    write_mt940(
        text,
        account="19030000000001",
        statement_id="S1",
        sequence=1,
        day=day,
        opening=0,
        lines=lines,
    )
    statement = next(read_statements(io.BytesIO(text.getvalue().encode())))
    payments = list(payments)
    sink = ListSink()
    policy = ReconciliationPolicy(pending_working_days=3)
    matcher = Matcher(day, lambda: payments, pending, sink, policy)
    matcher.run(statement.lines)
    return {row.payment_reference: row.outcome for row in sink.rows}, matcher, sink.rows


def test_payment_in_statement_and_recorded_with_same_amount_is_matched() -> None:
    outcomes, matcher, _ = reconcile(
        [BankLine(FEE, f"Thanh toan le phi {REF_A}")], [recorded(REF_A)]
    )

    assert outcomes == {REF_A: Outcome.MATCHED}
    assert matcher.result.matched_total == Decimal(FEE)


def test_mangled_note_still_matches() -> None:
    mangled = "TT LE PHI " + REF_A.lower()[:5] + " " + REF_A.lower()[5:] + " CHUYEN TIEN"

    outcomes, _, _ = reconcile([BankLine(FEE, mangled)], [recorded(REF_A)])

    assert outcomes == {REF_A: Outcome.MATCHED}


def test_payment_in_statement_but_not_recorded_is_a_missed_callback_to_record() -> None:
    outcomes, matcher, _ = reconcile([BankLine(FEE, REF_B, bank_reference="FT777")])

    assert outcomes == {REF_B: Outcome.MISSED_CALLBACK}
    assert matcher.result.missed_payments == [
        MissedPayment(
            payment_reference=REF_B, amount=Decimal(FEE), bank_reference="FT777", booking_date=DAY
        )
    ]


def test_recorded_payment_missing_from_statement_is_pending() -> None:
    outcomes, matcher, _ = reconcile([], [recorded(REF_C)])

    assert outcomes == {REF_C: Outcome.PENDING}
    assert [item.payment_reference for item in matcher.result.still_pending] == [REF_C]
    assert not matcher.result.still_pending[0].timing


def test_pending_payment_becomes_overdue_after_the_configured_working_days() -> None:
    pending = pending_since(7)

    outcomes, _, rows = reconcile([], pending=[pending])

    assert outcomes == {REF_C: Outcome.OVERDUE}
    assert "5 working days" in rows[0].detail


def test_pending_payment_within_its_working_days_stays_pending() -> None:
    pending = pending_since(1)

    outcomes, _, _ = reconcile([], pending=[pending])

    assert outcomes == {REF_C: Outcome.PENDING}


def test_pending_payment_booked_late_is_matched_and_resolved() -> None:
    pending = pending_since(2)

    outcomes, matcher, _ = reconcile([BankLine(FEE, REF_C)], pending=[pending])

    assert outcomes == {REF_C: Outcome.MATCHED}
    assert matcher.result.resolved_pending == [pending]


def test_amount_differing_from_recorded_is_reported() -> None:
    outcomes, _, rows = reconcile([BankLine(FEE - 1, REF_A)], [recorded(REF_A)])

    assert outcomes == {REF_A: Outcome.AMOUNT_DIFFERS}
    assert (rows[0].statement_amount, rows[0].recorded_amount) == (str(FEE - 1), str(FEE))


def test_second_payment_of_the_same_reference_is_a_duplicate() -> None:
    _, _, rows = reconcile([BankLine(FEE, REF_A), BankLine(FEE, REF_A)], [recorded(REF_A)])

    assert [row.outcome for row in rows] == [Outcome.MATCHED, Outcome.DUPLICATE]


def test_reversal_of_a_credit_is_reported_as_reversal() -> None:
    lines = [BankLine(FEE, REF_A), BankLine(FEE, f"HOAN TRA {REF_A}", reversal=True)]

    _, _, rows = reconcile(lines, [recorded(REF_A)])

    assert [row.outcome for row in rows] == [Outcome.MATCHED, Outcome.REVERSAL]


def test_credit_without_a_reference_is_unidentified() -> None:
    _, _, rows = reconcile([BankLine(FEE, "NGUYEN VAN A CHUYEN TIEN")])

    assert [(row.payment_reference, row.outcome) for row in rows] == [("", Outcome.UNIDENTIFIED)]


def test_other_debits_are_informational() -> None:
    _, _, rows = reconcile([BankLine(500000, "NOP KBNN THANG 9", credit=False)])

    assert [row.outcome for row in rows] == [Outcome.OTHER_DEBIT]


def test_payment_just_before_midnight_is_timing_today_and_matched_as_timing_tomorrow() -> None:
    late = datetime(2025, 10, 2, 23, 50, tzinfo=VIETNAM)

    today, matcher, _ = reconcile([], [recorded(REF_A, at=late)])
    [carried] = matcher.result.still_pending
    tomorrow, _, rows = reconcile(
        [BankLine(FEE, REF_A)], pending=[carried], day=DAY + timedelta(days=1)
    )

    assert today == {REF_A: Outcome.TIMING}
    assert carried.timing
    assert tomorrow == {REF_A: Outcome.TIMING}
    assert "booked the next day" in rows[0].detail


def test_same_inputs_give_the_same_rows() -> None:
    lines = [BankLine(FEE, REF_A), BankLine(FEE, REF_B), BankLine(1, "x")]
    payments = [recorded(REF_A), recorded(REF_C)]

    first = reconcile(lines, payments)[2]
    second = reconcile(lines, payments)[2]

    assert first == second
    assert [row.outcome for row in first] == [
        Outcome.MATCHED,
        Outcome.MISSED_CALLBACK,
        Outcome.UNIDENTIFIED,
        Outcome.PENDING,
    ]


def test_pending_resolved_on_a_later_day_is_still_open_for_a_rerun_of_its_day() -> None:
    item = PendingPayment(
        payment_reference=REF_C,
        amount_vnd=FEE,
        txn_id="T",
        dossier_id="D",
        recorded_on=DAY - timedelta(days=1),
        resolved_on=DAY,
    )

    assert item.open_on(DAY)
    assert not item.open_on(DAY + timedelta(days=1))
    assert not item.open_on(DAY - timedelta(days=1))


def test_working_days_skip_weekends_and_vietnamese_holidays() -> None:
    def weekdays(day: date) -> bool:
        return day.weekday() < 5

    assert working_days_between(date(2025, 10, 3), date(2025, 10, 6), weekdays) == 1
    policy = ReconciliationPolicy()
    assert not policy.is_working_day(date(2025, 9, 2))  # National Day
    assert policy.is_working_day(date(2025, 9, 4))


def test_payment_split_into_two_recorded_transfers_matches_both_lines() -> None:
    # given two 30,000 callbacks for one reference and the two transfers in the statement
    half = FEE // 2
    payments = [recorded(REF_A, half), recorded(REF_A, half)]

    # when
    _, matcher, rows = reconcile([BankLine(half, REF_A), BankLine(half, REF_A)], payments)

    # then
    assert [row.outcome for row in rows] == [Outcome.MATCHED, Outcome.MATCHED]
    assert matcher.result.matched_total == Decimal(FEE)
    assert matcher.result.still_pending == []


def test_split_payment_matches_each_line_to_its_own_recorded_amount() -> None:
    payments = [recorded(REF_A, 40000), recorded(REF_A, 20000)]

    _, _, rows = reconcile([BankLine(20000, REF_A), BankLine(40000, REF_A)], payments)

    assert [(row.outcome, row.recorded_amount) for row in rows] == [
        (Outcome.MATCHED, "20000"),
        (Outcome.MATCHED, "40000"),
    ]


def test_transfer_beyond_the_recorded_ones_of_a_split_payment_is_a_duplicate() -> None:
    half = FEE // 2
    payments = [recorded(REF_A, half), recorded(REF_A, half)]
    lines = [BankLine(half, REF_A), BankLine(half, REF_A), BankLine(half, REF_A)]

    _, matcher, rows = reconcile(lines, payments)

    assert [row.outcome for row in rows] == [Outcome.MATCHED, Outcome.MATCHED, Outcome.DUPLICATE]
    assert matcher.result.missed_payments == []


def test_recorded_part_of_a_split_payment_missing_from_the_statement_stays_pending() -> None:
    payments = [recorded(REF_A, 40000), recorded(REF_A, 20000)]

    _, matcher, rows = reconcile([BankLine(40000, REF_A)], payments)

    assert [(row.outcome, row.recorded_amount) for row in rows] == [
        (Outcome.MATCHED, "40000"),
        (Outcome.PENDING, "20000"),
    ]
    assert [item.amount_vnd for item in matcher.result.still_pending] == [20000]


def test_payment_recorded_from_this_statement_stays_a_missed_callback_on_a_rerun() -> None:
    # given the payment an earlier run recorded from the statement line itself
    from_statement = RecordedPayment(
        payment_reference=REF_B,
        amount_vnd=FEE,
        txn_id="FT777",
        credited_at=datetime(2025, 10, 2, 5, 0, tzinfo=UTC),
        dossier_id="D-B",
        from_statement=True,
    )
    line = BankLine(FEE, REF_B, bank_reference="FT777")

    # when
    first, _, first_rows = reconcile([line])
    again, matcher, rows = reconcile([line], [from_statement])

    # then
    assert again == first == {REF_B: Outcome.MISSED_CALLBACK}
    assert rows == first_rows
    assert matcher.result.still_pending == []


def test_credits_without_a_reference_are_kept_for_suspense_each_told_apart() -> None:
    lines = [
        BankLine(25000, "CHUYEN KHOAN", bank_reference="FT9"),
        BankLine(25000, "CHUYEN KHOAN", bank_reference="FT9"),
    ]

    _, matcher, _ = reconcile(lines)

    assert [(item.amount, item.note, item.occurrence) for item in matcher.result.unidentified] == [
        (Decimal(25000), "CHUYEN KHOAN", 0),
        (Decimal(25000), "CHUYEN KHOAN", 1),
    ]
