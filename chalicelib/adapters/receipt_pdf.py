"""A receipt as a one-page A5 PDF, set in a font that covers Vietnamese."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.adapters.receipt_xml import TEST_RECEIPT_NOTE
from chalicelib.domain.receipts import Receipt, ReceiptKind

if TYPE_CHECKING:
    from fpdf import FPDF

_CORRECTION_LABELS = {
    ReceiptKind.REPLACEMENT: "Thay thế cho biên lai",
    ReceiptKind.ADJUSTMENT: "Điều chỉnh cho biên lai",
}


def receipt_pdf(receipt: Receipt) -> bytes:
    """Renders the receipt's mandatory content; the signature is added by the signer."""
    from fontpkg_roboto import ROOT as ROBOTO
    from fpdf import FPDF

    pdf = FPDF(format=(148, 210))  # A5 in millimetres
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_creator("coissuer")
    pdf.set_title(f"{receipt.receipt_name} {receipt.key.series} {receipt.key.number_text}")
    font = str(ROBOTO / "files" / "Roboto[wdth,wght].ttf")
    pdf.add_font("Roboto", "", font)
    # One weight only: instancing a bold weight from the variable font costs over a second.
    pdf.add_page()

    _heading(pdf, receipt)
    _lines(pdf, _content_lines(receipt))
    if receipt.test_receipt:
        pdf.ln(4)
        pdf.set_font("Roboto", "", 11)
        pdf.set_text_color(180, 0, 0)
        pdf.multi_cell(0, 6, TEST_RECEIPT_NOTE.upper(), align="C")
    return bytes(pdf.output())


def _heading(pdf: FPDF, receipt: Receipt) -> None:
    pdf.set_font("Roboto", "", 14)
    pdf.cell(0, 8, receipt.receipt_name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Roboto", "", 10)
    numbering = (
        f"Mẫu số: {receipt.key.form_number}    Ký hiệu: {receipt.key.series}    "
        f"Số: {receipt.key.number_text}"
    )
    pdf.cell(0, 6, numbering, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _content_lines(receipt: Receipt) -> list[tuple[str, str]]:
    lines = [
        ("Đơn vị thu", receipt.collector.name),
        ("Mã số thuế", receipt.collector.tax_code),
        ("Người nộp", receipt.payer.name),
        ("Mã số thuế người nộp", receipt.payer.tax_code or ""),
        ("Địa chỉ", receipt.payer.address or ""),
        ("Tên phí", receipt.fee.name),
        ("Số tiền", f"{receipt.fee.amount:,}".replace(",", ".") + " đồng"),
        ("Bằng chữ", receipt.amount_in_words),
        ("Mã thanh toán", receipt.payment_reference),
        ("Ngày", receipt.issue_date.strftime("%d/%m/%Y")),
    ]
    if receipt.original is not None:
        original = receipt.original
        lines.append(
            (
                _CORRECTION_LABELS[receipt.kind],
                f"{original.form_number} {original.series} {original.number_text}",
            )
        )
    lines.append(("Người thu (ký số)", receipt.collector.name))
    return lines


def _lines(pdf: FPDF, lines: list[tuple[str, str]]) -> None:
    for label, value in lines:
        pdf.set_font("Roboto", "", 10)
        pdf.cell(42, 6, f"{label}:")
        pdf.set_font("Roboto", "", 10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
