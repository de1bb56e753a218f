from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from chalicelib.domain.receipts import Collector, FeeCharge, Payer, Receipt
from chalicelib.services.receipts import issue_receipt_for_payment
from chalicelib.wiring import container
from tests.fakes.pdf_signer import PyHankoTestSigner
from tests.stack import Stack, json_body

PAYER = Payer(name="Công ty TNHH Cà phê Krông Pắc", tax_code="6002837411", address="Buôn Ma Thuột")
COLLECTOR = Collector(
    department="DAKLAK",
    name="Sở Công Thương tỉnh Đắk Lắk",
    tax_code="6000181358",
    form_number="01BLP0-001",
    series_letters="DL",
    sandbox=True,
)
FEE = FeeCharge(name="Phí cấp giấy chứng nhận xuất xứ hàng hóa (C/O)", amount=60000)
RECEIPT_PATH = "/receipts/01BLP0-001/DL26/0000001"


@pytest.fixture
def issued(stack: Stack, collector_key: tuple[Path, Path]) -> Receipt:
    deps = container()
    deps.receipt_signer = PyHankoTestSigner(*collector_key)  # type: ignore[misc]
    return issue_receipt_for_payment(
        "CO12345678X",
        collector=COLLECTOR,
        payer=PAYER,
        fee=FEE,
        dossier_id="DOSSIER-1",
        desk=deps.receipt_desk(COLLECTOR),
    )


def _post(stack: Stack, path: str, role: str, body: dict[str, object]) -> object:
    return stack.http.post(path, headers=stack.auth(role), body=json.dumps(body))


def test_the_exporter_downloads_the_receipt_of_their_dossier(stack: Stack, issued: Receipt) -> None:
    # when the trader who paid asks for the dossier's receipt
    response = stack.http.get(
        "/dossiers/DOSSIER-1/receipt", headers=stack.auth("exporter", tax_code="6002837411")
    )

    # then they see its number and get short-lived links to the signed PDF and the XML
    assert response.status_code == 200
    body = json_body(response)
    assert (body["receipt"]["series"], body["receipt"]["number"]) == ("DL26", "0000001")
    assert body["receipt"]["amount_in_words"] == "Sáu mươi nghìn đồng"
    assert body["receipt"]["test_receipt"] is True
    assert urlparse(body["pdf_url"]).path.endswith("/receipts/01BLP0-001/DL26/0000001.pdf")
    assert "Signature=" in body["pdf_url"] or "X-Amz-Signature=" in body["pdf_url"]
    assert body["expires_in"] == 300

    # and another trader sees no receipt for that dossier
    other = stack.http.get(
        "/dossiers/DOSSIER-1/receipt", headers=stack.auth("exporter", tax_code="0312345678")
    )
    assert other.status_code == 404


def test_operations_replace_a_receipt_and_the_exporter_then_sees_the_replacement(
    stack: Stack, issued: Receipt
) -> None:
    # when operations replace receipt 0000001 with a corrected address
    corrected = {**PAYER.model_dump(), "address": "126 Nguyễn Tất Thành, Buôn Ma Thuột"}
    response = _post(
        stack,
        f"{RECEIPT_PATH}/replacement",
        "operations",
        {"reason": "sai địa chỉ", "payer": corrected},
    )

    # then the replacement is 0000002, names the original, and is the dossier's receipt
    assert response.status_code == 201
    body = json_body(response)
    assert (body["number"], body["kind"]) == ("0000002", "replacement")
    assert body["replaces_or_adjusts"] == "01BLP0-001-DL26-0000001"
    mine = stack.http.get(
        "/dossiers/DOSSIER-1/receipt", headers=stack.auth("exporter", tax_code="6002837411")
    )
    assert json_body(mine)["receipt"]["number"] == "0000002"


def test_operations_cancel_a_receipt_and_the_usage_report_counts_it(
    stack: Stack, issued: Receipt
) -> None:
    # when operations cancel the receipt
    response = _post(stack, f"{RECEIPT_PATH}/cancellation", "operations", {"reason": "nộp nhầm"})
    assert response.status_code == 200
    assert json_body(response)["status"] == "cancelled"

    # then the series' usage for December counts one number issued, one cancelled, no amount
    report = stack.http.get(
        "/receipts/01BLP0-001/DL26/usage?from=2026-12-01&to=2026-12-31",
        headers=stack.auth("auditor"),
    )
    assert report.status_code == 200
    body = json_body(report)
    assert (body["issued"], body["cancelled"], body["total_amount"]) == (1, 1, 0)
    assert (body["first_number"], body["last_number"]) == ("0000001", "0000001")
    assert body["remaining"] == 9_999_998


def test_exporters_may_not_correct_receipts_and_a_reversed_period_is_refused(
    stack: Stack, issued: Receipt
) -> None:
    exporter = stack.auth("exporter", tax_code="6002837411")
    cancellation = stack.http.post(
        f"{RECEIPT_PATH}/cancellation", headers=exporter, body=json.dumps({"reason": "nộp nhầm"})
    )
    reversed_period = stack.http.get(
        "/receipts/01BLP0-001/DL26/usage?from=2026-12-31&to=2026-12-01",
        headers=stack.auth("operations"),
    )

    assert cancellation.status_code == 403
    assert reversed_period.status_code == 422
