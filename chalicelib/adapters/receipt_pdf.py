"""A receipt as a one-page A5 PDF, set in Noto Sans (which covers Vietnamese)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from chalicelib.adapters.receipt_xml import TEST_RECEIPT_NOTE
from chalicelib.domain.receipts import Receipt, ReceiptKind

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

FONT = "ReceiptNotoSans"
MARGIN = 36.0
LABEL_WIDTH = 120.0
LINE = 15.0
_CORRECTION_LABELS = {
    ReceiptKind.REPLACEMENT: "Thay thế cho biên lai",
    ReceiptKind.ADJUSTMENT: "Điều chỉnh cho biên lai",
}


def receipt_pdf(receipt: Receipt) -> bytes:
    """Renders the receipt's mandatory content; the signature is added by the signer."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen.canvas import Canvas

    _register_font()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A5, pageCompression=1)
    canvas.setTitle(f"{receipt.receipt_name} {receipt.key.series} {receipt.key.number_text}")
    canvas.setCreator("coissuer")
    width, height = A5

    top = _heading(canvas, receipt, width, height - MARGIN)
    top = _lines(canvas, _content_lines(receipt), width, top)
    if receipt.test_receipt:
        canvas.setFillColorRGB(0.7, 0, 0)
        canvas.setFont(FONT, 11)
        canvas.drawCentredString(width / 2, top - LINE, TEST_RECEIPT_NOTE.upper())
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _register_font() -> None:
    import fontpkg_noto_sans
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    path = fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(path)))


def _heading(canvas: Canvas, receipt: Receipt, width: float, top: float) -> float:
    canvas.setFont(FONT, 14)
    canvas.drawCentredString(width / 2, top - 14, receipt.receipt_name.upper())
    canvas.setFont(FONT, 10)
    numbering = (
        f"Mẫu số: {receipt.key.form_number}    Ký hiệu: {receipt.key.series}    "
        f"Số: {receipt.key.number_text}"
    )
    canvas.drawCentredString(width / 2, top - 32, numbering)
    return top - 56


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


def _lines(canvas: Canvas, lines: list[tuple[str, str]], width: float, top: float) -> float:
    from reportlab.lib.utils import simpleSplit

    value_width = width - 2 * MARGIN - LABEL_WIDTH
    for label, value in lines:
        canvas.setFillColorRGB(0.35, 0.35, 0.35)
        canvas.setFont(FONT, 9)
        canvas.drawString(MARGIN, top, f"{label}:")
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setFont(FONT, 10)
        for part in simpleSplit(value, FONT, 10, value_width) or [""]:
            canvas.drawString(MARGIN + LABEL_WIDTH, top, part)
            top -= LINE
    return top
