"""Figures for receipts: number allocation on moto, and rendering plus signing a receipt PDF.

Allocation is three requests (guard, counter, transaction). moto copies the whole table on
every transaction, so its figure grows with the table and says nothing about DynamoDB.

Run: .venv/bin/python -m bench.receipts_bench
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from moto import mock_aws

from chalicelib.adapters.receipt_pdf import receipt_pdf
from chalicelib.adapters.receipt_store import ReceiptStore
from chalicelib.domain.payment_reference import new_payment_reference
from chalicelib.domain.receipts import Collector, FeeCharge, Payer, ReceiptDraft
from tests.fakes.pdf_signer import PyHankoTestSigner, self_signed_collector_key
from tests.functional.receipts.conftest import _create_table

COLLECTOR = Collector(
    department="DAKLAK",
    name="Sở Công Thương tỉnh Đắk Lắk",
    tax_code="6000181358",
    form_number="01BLP0-001",
    series_letters="DL",
)
PAYER = Payer(name="Công ty TNHH Cà phê Krông Pắc", tax_code="6002837411", address="Buôn Ma Thuột")


def draft() -> ReceiptDraft:
    return ReceiptDraft(
        collector=COLLECTOR,
        payer=PAYER,
        fee=FeeCharge(name="Phí cấp giấy chứng nhận xuất xứ hàng hóa (C/O)", amount=60000),
        issued_at=datetime(2026, 12, 3, 3, 0, tzinfo=UTC),
        payment_reference=new_payment_reference(),
    )


def allocation_ms(count: int) -> float:
    os.environ.update(AWS_DEFAULT_REGION="ap-southeast-1", AWS_ACCESS_KEY_ID="x")
    os.environ.update(AWS_SECRET_ACCESS_KEY="x")
    with mock_aws():
        store = ReceiptStore(_create_table("bench"))  # type: ignore[arg-type]
        started = time.perf_counter()
        for _ in range(count):
            store.issue(draft())
        return (time.perf_counter() - started) * 1000 / count


def pdf_ms(count: int) -> tuple[float, float]:
    receipt = draft().numbered(1)
    signer = PyHankoTestSigner(*self_signed_collector_key(Path(tempfile.mkdtemp()), "bench"))
    receipt_pdf(receipt)
    render, sign = [], []
    for _ in range(count):
        started = time.perf_counter()
        pdf = receipt_pdf(receipt)
        rendered = time.perf_counter()
        signer.sign(pdf)
        render.append((rendered - started) * 1000)
        sign.append((time.perf_counter() - rendered) * 1000)
    return statistics.median(render), statistics.median(sign)


if __name__ == "__main__":
    print(f"allocation on in-process moto: {allocation_ms(200):.1f} ms per receipt (200)")
    render, sign = pdf_ms(20)
    print(f"receipt PDF: render {render:.0f} ms, sign {sign:.0f} ms (median of 20)")
