"""The operations command line shows the files, the counts and the rows to act on."""

from __future__ import annotations

from tools.reconciliation_view import render

DAY = {
    "department": "HP",
    "day": "2026-12-02",
    "files": [{"file_hash": "ab" * 32, "status": "reconciled", "sequence_number": "00007/001"}],
}


def row(reference: str, outcome: str) -> dict[str, str]:
    return {
        "payment_reference": reference,
        "outcome": outcome,
        "statement_amount": "60000",
        "recorded_amount": "",
        "detail": "",
    }


def test_view_lists_counts_and_only_rows_needing_action() -> None:
    rows = [row("CO7K3M9Q2XH", "matched"), row("COAB12CD34A", "missed_callback")]

    text = render(DAY, rows, show_all=False)

    assert "Outcomes: matched 1, missed_callback 1" in text
    assert "COAB12CD34A" in text
    assert "CO7K3M9Q2XH" not in text
    assert "reconciled" in text


def test_view_with_all_lists_matched_rows_too() -> None:
    text = render(DAY, [row("CO7K3M9Q2XH", "matched")], show_all=True)

    assert "CO7K3M9Q2XH" in text
