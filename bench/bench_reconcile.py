"""Reconcile one generated statement of N lines against N recorded payments.

Each size runs in a fresh interpreter so its peak memory (ru_maxrss) is its own. The
statement file is written to a temporary folder first (not timed); the timed part reads it
as a stream, checks it, matches every line and writes the JSON and CSV reports to local
files, i.e. everything the reconcile function does except the S3 and DynamoDB calls.

    python -m bench.bench_reconcile                      # 10k and 100k lines, MT940
    python -m bench.bench_reconcile --sizes 10000,100000,1000000 --format camt053
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

DAY = date(2025, 10, 2)
ACCOUNT = "19030000000001"
FEE = 60000


def payment_reference(number: int) -> str:
    from chalicelib.domain.payment_reference import ALPHABET, PREFIX, check_character

    body = ""
    for _ in range(8):
        number, digit = divmod(number, 32)
        body = ALPHABET[digit] + body
    return PREFIX + body + check_character(body)


def bank_lines(size: int) -> Iterator[Any]:
    from tools.bank_statement_writer import BankLine

    for number in range(size):
        yield BankLine(FEE, f"THANH TOAN LE PHI C/O {payment_reference(number)} CONG TY ABC")


def recorded_payments(references: list[str]) -> Iterator[Any]:
    """What the payment ledger yields; the references exist already, as they would in the
    items a DynamoDB page brings back."""
    from chalicelib.domain.reconciliation import RecordedPayment

    credited_at = datetime(2025, 10, 2, 3, tzinfo=UTC)
    for number, reference in enumerate(references):
        yield RecordedPayment(
            payment_reference=reference,
            amount_vnd=FEE,
            txn_id=f"TXN{number:09d}",
            credited_at=credited_at,
            dossier_id=f"D{number:09d}",
        )


def write_statement(folder: Path, size: int, statement_format: str) -> Path:
    from tools.bank_statement_writer import write_camt053, write_mt940

    path = folder / f"statement-{size}.{'xml' if statement_format == 'camt053' else 'sta'}"
    header = {"account": ACCOUNT, "statement_id": f"B{size}", "sequence": 1, "day": DAY}
    with path.open("w", encoding="utf-8") as out:
        if statement_format == "camt053":
            write_camt053(out, opening=0, lines=lambda: bank_lines(size), **header)
        else:
            write_mt940(out, opening=0, lines=bank_lines(size), **header)
    return path


class _Fakes:
    """In-memory ports: no AWS in the timed part."""

    def __init__(self, size: int) -> None:
        self.references = [payment_reference(number) for number in range(size)]
        self.report_bytes = 0

    def fee_account(self, department: str) -> str:
        return ACCOUNT

    def live_departments(self) -> list[str]:
        return ["HP"]

    def csv_profile(self, bank: str) -> None:
        return None

    def recorded_payments(self, department: str, day: date) -> Iterator[Any]:
        return recorded_payments(self.references)

    def previous_sequence_number(self, department: str, account: str, day: date) -> None:
        return None

    def note_sequence_number(self, *args: Any) -> None:
        return None

    def claim_statement_id(self, department: str, statement_id: str, file_hash: str) -> bool:
        return True

    def settle_statement_ids(self, *args: Any) -> None:
        return None

    def release_claim(self, department: str, day: date, file_hash: str) -> None:
        return None

    def pending_payments(self, department: str) -> list[Any]:
        return []

    def save_pending(self, *args: Any, **kwargs: Any) -> None:
        return None

    def finish(self, *args: Any) -> None:
        return None

    def put_report(self, department: str, day: str, file_hash: str, files: Any) -> list[str]:
        self.report_bytes = files.csv_file.tell() + files.json_file.tell()
        return ["report.json", "report.csv"]

    def record_missed_payment(self, department: str, missed: Any) -> None:
        return None

    def hold_unidentified_credit(self, *args: Any) -> None:
        return None

    def alert(self, department: str, kind: str, detail: str) -> None:
        return None

    def add_metric(self, name: str, unit: str, value: float) -> None:
        return None


def run_one(size: int, statement_format: str) -> dict[str, Any]:
    from chalicelib.services.reconciliation import ReconciliationService, StatementObject

    with tempfile.TemporaryDirectory() as folder:
        path = write_statement(Path(folder), size, statement_format)
        file_size = path.stat().st_size
        fakes = _Fakes(size)
        service = ReconciliationService(
            departments=fakes,
            payments=fakes,
            statements=fakes,
            reports=fakes,
            files=fakes,
            recorder=fakes,
            alerts=fakes,
            metrics=fakes,
        )
        target = StatementObject("bench", "HP", DAY)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu_started = time.perf_counter(), time.process_time()
        with path.open("rb") as local:
            outcome = service.reconcile_file(target, ACCOUNT, "bench", local)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "lines": size,
        "format": statement_format,
        "file_mb": round(file_size / 2**20, 1),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "report_mb": round(fakes.report_bytes / 2**20, 1),
        "status": outcome.status,
        "matched": outcome.counts.get("matched", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated line counts")
    parser.add_argument("--format", default="mt940", choices=["mt940", "camt053"])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.one:
        print(json.dumps(run_one(arguments.one, arguments.format)))
        return

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'lines':>9} {'format':>8} {'file MB':>8} {'seconds':>8} {'CPU s':>7}"
        f" {'peak RSS MB':>12} matched"
    )
    for size in (int(part) for part in arguments.sizes.split(",")):
        command = [sys.executable, "-m", "bench.bench_reconcile", "--one", str(size)]
        command += ["--format", arguments.format]
        output = subprocess.run(
            command, check=True, capture_output=True, text=True, env={**os.environ}
        ).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        print(
            f"{figures['lines']:>9} {figures['format']:>8} {figures['file_mb']:>8}"
            f" {figures['seconds']:>8} {figures['cpu_seconds']:>7} {figures['peak_rss_mb']:>12}"
            f" {figures['matched']}"
        )


if __name__ == "__main__":
    main()
