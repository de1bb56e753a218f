"""Certificate of origin PDF rendering (reportlab, imported inside the functions).

Layouts: Form D (boxes 1-13), Form B, EUR.1 (remarks in box 7) and a generic layout for the
other forms; a certificate with a producer (RCEP) gets a producer box beside the title. Text is
set in Noto Sans from the `fontpkg-noto-sans` package (full Vietnamese
coverage), embedded as a subset. Goods lines that do not fit on the first page continue on
supplementary pages that repeat the reference number and say "Page x of y".

The first page holds an empty signature field (`LeaderSignature`) where the leader signs; its
place is returned with the PDF (`SignaturePlacement`) and the signer fills that field.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.certificate import CertificateContent, GoodsLine, SignaturePlacement

PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points
MARGIN = 28.0
FONT = "NotoSans"

_LEADING = 1.22
_BODY = 7.6
_LABEL = 6.2
_PAD = 3.0


@dataclass(frozen=True)
class RenderedCertificate:
    pdf: bytes
    pages: int
    signature_box: SignaturePlacement


@dataclass(frozen=True)
class _Column:
    label: str
    width: float  # fraction of the table width
    cell: Callable[[GoodsLine, CertificateContent], str]
    align: str = "left"


@dataclass(frozen=True)
class _Layout:
    title: list[str]
    agreement: str
    left_boxes: list[tuple[str, Callable[[CertificateContent], str]]]
    right_boxes: list[tuple[str, Callable[[CertificateContent], str], float]]
    columns: list[_Column]
    remarks_label: str
    remarks: Callable[[CertificateContent], list[tuple[str, bool | None]]]
    declaration_label: str
    certification_label: str
    extra: dict[str, Any] = field(default_factory=dict)


def render_certificate_pdf(content: CertificateContent) -> RenderedCertificate:
    """Render one certificate; the first page carries the QR code and signature place."""
    from reportlab.pdfgen import canvas

    _register_font()
    layout = _layout_for(content.form)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    pdf.setTitle(f"Certificate of Origin {content.reference_number}")
    pdf.setAuthor(content.department_name)
    pdf.setCreator("coissuer")
    pages = _paginate(content, layout)
    signature_box = _draw_first_page(pdf, content, layout, pages[0], len(pages))
    _add_signature_field(pdf, signature_box)
    for number, lines in enumerate(pages[1:], start=2):
        pdf.showPage()
        _draw_supplementary_page(pdf, content, layout, lines, number, len(pages))
    pdf.showPage()
    pdf.save()
    return RenderedCertificate(buffer.getvalue(), len(pages), signature_box)


# --- fonts ---------------------------------------------------------------------------------

_font_ready = False


def _register_font() -> None:
    """Load the TrueType font once per process (parsing it costs about 10 ms)."""
    global _font_ready
    if _font_ready:
        return
    import fontpkg_noto_sans
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    rl_config.useA85 = 0  # binary streams: smaller files, no ASCII85 pass over each stream
    path = fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(path)))
    _font_ready = True


def _wrap(text: str, width: float, size: float) -> list[str]:
    from reportlab.lib.utils import simpleSplit

    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(simpleSplit(paragraph, FONT, size, width) or [""])
    return lines


# --- page geometry -------------------------------------------------------------------------

_CONTENT_W = PAGE_W - 2 * MARGIN
_TOP_BLOCK_H = 262.0
_BOTTOM_BLOCK_H = 232.0
_TABLE_HEAD_H = 46.0
_FIRST_TABLE_TOP = MARGIN + _TOP_BLOCK_H
_FIRST_TABLE_H = PAGE_H - 2 * MARGIN - _TOP_BLOCK_H - _BOTTOM_BLOCK_H - 14
_SUPP_TABLE_TOP = MARGIN + 70
_SUPP_TABLE_H = PAGE_H - MARGIN - 20 - _SUPP_TABLE_TOP


def _y(top: float) -> float:
    """Convert a distance from the page top into reportlab's bottom-up coordinate."""
    return PAGE_H - top


def _row_height(line: GoodsLine, content: CertificateContent, layout: _Layout) -> float:
    tallest = max(
        len(_wrap(col.cell(line, content), col.width * _CONTENT_W - 2 * _PAD, _BODY))
        for col in layout.columns
    )
    return tallest * _BODY * _LEADING + 2 * _PAD


def _paginate(content: CertificateContent, layout: _Layout) -> list[list[GoodsLine]]:
    pages: list[list[GoodsLine]] = [[]]
    room = _FIRST_TABLE_H - _TABLE_HEAD_H - 12
    for line in content.goods:
        height = min(_row_height(line, content, layout), _SUPP_TABLE_H - _TABLE_HEAD_H)
        if height > room and (pages[-1] or len(pages) == 1):
            pages.append([])
            room = _SUPP_TABLE_H - _TABLE_HEAD_H - 12
        pages[-1].append(line)
        room -= height
    return pages


# --- drawing -------------------------------------------------------------------------------


def _text(
    pdf: Any,
    x: float,
    top: float,
    text: str,
    size: float = _BODY,
    width: float = 0,
    bold: bool = False,
) -> float:
    """Draw wrapped text from `top`; returns the distance below the last line."""
    lines = _wrap(text, width, size) if width else text.split("\n")
    obj = pdf.beginText()
    obj.setFont(FONT, size, size * _LEADING)
    obj.setTextOrigin(x, _y(top + size))
    if bold:
        obj.setTextRenderMode(2)  # fill and stroke: a bold weight from the one font file
        pdf.setLineWidth(size / 30)
    for line in lines:
        obj.textLine(line)
    if bold:
        obj.setTextRenderMode(0)
    pdf.drawText(obj)
    return top + len(lines) * size * _LEADING


def _box(pdf: Any, x: float, top: float, w: float, h: float, label: str, body: str = "") -> float:
    pdf.setLineWidth(0.6)
    pdf.rect(x, _y(top + h), w, h)
    after = _text(pdf, x + _PAD, top + _PAD, label, _LABEL, w - 2 * _PAD)
    if body:
        after = _text(pdf, x + _PAD + 4, after + 2, body, _BODY, w - 2 * _PAD - 4)
    return after


def _draw_first_page(
    pdf: Any, content: CertificateContent, layout: _Layout, lines: list[GoodsLine], pages: int
) -> SignaturePlacement:
    half = _CONTENT_W / 2
    left, right = MARGIN, MARGIN + half
    _draw_left_boxes(pdf, content, layout, left, half)
    _draw_title_block(pdf, content, layout, right, half)
    _draw_table(pdf, content, layout, lines, _FIRST_TABLE_TOP, _FIRST_TABLE_H, continued=pages > 1)
    signature = _draw_bottom_block(pdf, content, layout, _FIRST_TABLE_TOP + _FIRST_TABLE_H)
    _draw_footer(pdf, content, 1, pages)
    if content.sandbox:
        _draw_specimen(pdf)
    return signature


def _add_signature_field(pdf: Any, place: SignaturePlacement) -> None:
    """An empty signature field (widget) where the leader signs; the signer fills it."""
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFString

    form = pdf.acroForm
    field = PDFDictionary({
        "Type": PDFName("Annot"), "Subtype": PDFName("Widget"), "FT": PDFName("Sig"),
        "T": PDFString(place.field_name), "F": 4,
        "Rect": PDFArray([place.x1, place.y1, place.x2, place.y2]),
    })  # fmt: skip
    pdf._addAnnotation(field)
    form.fields.append(form.getRef(field))


def _draw_left_boxes(
    pdf: Any, content: CertificateContent, layout: _Layout, x: float, w: float
) -> None:
    top = MARGIN
    height = _TOP_BLOCK_H / len(layout.left_boxes)
    for label, body in layout.left_boxes:
        _box(pdf, x, top, w, height, label, body(content))
        top += height


def _draw_title_block(
    pdf: Any, content: CertificateContent, layout: _Layout, x: float, w: float
) -> None:
    qr = 74.0
    pdf.setLineWidth(0.6)
    pdf.rect(x, _y(MARGIN + 112), w, 112)
    after = _text(pdf, x + _PAD, MARGIN + _PAD, "Reference No.", _LABEL)
    _text(pdf, x + 6, after + 1, content.reference_number, 11, bold=True)
    after = MARGIN + 30
    for i, line in enumerate(layout.title):
        after = _text(pdf, x + 6, after + 1, line, 8.6 if i else 7.4, w - qr - 16, bold=i > 0)
    _text(pdf, x + 6, after + 3, f"Issued in {content.exporting_country}", _BODY)
    _draw_qr(pdf, content.verification_url, x + w - qr - 4, MARGIN + 4, qr)
    top = MARGIN + 112
    remaining = _TOP_BLOCK_H - 112
    boxes = layout.right_boxes
    if content.producer is not None:  # only forms with a producer box get one filled in
        boxes = [(_PRODUCER, lambda c: c.producer or "", 0.5)] + [
            (label, body, share / 2) for label, body, share in boxes
        ]
    for label, body, share in boxes:
        height = remaining * share
        _box(pdf, x, top, w, height, label, body(content))
        top += height


def _draw_qr(pdf: Any, url: str, x: float, top: float, size: float) -> None:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    # A fixed mask is valid QR; choosing the best of eight costs about 10 ms per certificate.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, mask_pattern=2)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = size / len(matrix)
    path = pdf.beginPath()
    for row, cells in enumerate(matrix):
        col = 0
        while col < len(cells):  # one rectangle per run of dark modules
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < len(cells) and cells[col]:
                col += 1
            path.rect(
                x + start * module, _y(top + (row + 1) * module), (col - start) * module, module
            )
    pdf.setFillColorRGB(0, 0, 0)
    pdf.drawPath(path, stroke=0, fill=1)
    _text(pdf, x - 4, top + size + 1, "Verify / Xác minh", 5.5)


def _draw_table(
    pdf: Any,
    content: CertificateContent,
    layout: _Layout,
    lines: list[GoodsLine],
    top: float,
    height: float,
    continued: bool,
) -> None:
    pdf.setLineWidth(0.6)
    pdf.rect(MARGIN, _y(top + height), _CONTENT_W, height)
    pdf.line(MARGIN, _y(top + _TABLE_HEAD_H), MARGIN + _CONTENT_W, _y(top + _TABLE_HEAD_H))
    x = MARGIN
    for col in layout.columns:
        w = col.width * _CONTENT_W
        _text(pdf, x + _PAD, top + _PAD, col.label, _LABEL, w - 2 * _PAD)
        pdf.line(x, _y(top), x, _y(top + height))
        x += w
    row_top = top + _TABLE_HEAD_H
    for line in lines:
        x = MARGIN
        for col in layout.columns:
            w = col.width * _CONTENT_W
            _text(pdf, x + _PAD, row_top + _PAD, col.cell(line, content), _BODY, w - 2 * _PAD)
            x += w
        row_top += _row_height(line, content, layout)
    if continued:
        _text(pdf, MARGIN + _PAD, top + height - 11,
              "Goods lines continue on the supplementary page(s) with the same reference number.",
              _LABEL)  # fmt: skip


def _draw_bottom_block(
    pdf: Any, content: CertificateContent, layout: _Layout, top: float
) -> SignaturePlacement:
    remarks_h = 70.0
    _draw_remarks(pdf, content, layout, top, remarks_h)
    top += remarks_h
    half = _CONTENT_W / 2
    height = _BOTTOM_BLOCK_H - remarks_h
    _box(pdf, MARGIN, top, half, height, layout.declaration_label, _declaration(content, layout))
    after = _box(pdf, MARGIN + half, top, half, height, layout.certification_label,
                 "It is hereby certified, on the basis of control carried out, that the "
                 "declaration by the exporter is correct.")  # fmt: skip
    after = _text(
        pdf,
        MARGIN + half + 8,
        after + 3,
        f"{content.place_of_issue}, {_date(content.issue_date)}",
        _BODY,
    )
    sig_top, sig_bottom = after + 4, top + height - 30
    pdf.setDash(2, 2)
    pdf.rect(MARGIN + half + 8, _y(sig_bottom), half - 16, sig_bottom - sig_top)
    pdf.setDash()
    _text(pdf, MARGIN + half + 8, sig_bottom + 2, _signatory(content), _BODY,
          half - 16)  # fmt: skip
    return SignaturePlacement(0, MARGIN + half + 9, _y(sig_bottom) + 1, MARGIN + _CONTENT_W - 9,
                        _y(sig_top) - 1)  # fmt: skip


def _draw_remarks(
    pdf: Any, content: CertificateContent, layout: _Layout, top: float, height: float
) -> None:
    after = _box(pdf, MARGIN, top, _CONTENT_W, height, layout.remarks_label)
    ticks = [(text, flag) for text, flag in layout.remarks(content) if flag is not None]
    texts = [text for text, flag in layout.remarks(content) if flag is None]
    column_w = _CONTENT_W / 4
    for i, (text, ticked) in enumerate(ticks):
        x = MARGIN + 8 + (i % 4) * column_w
        row_top = after + 3 + (i // 4) * 12
        pdf.rect(x, _y(row_top + 8), 8, 8)
        if ticked:
            _text(pdf, x + 1.2, row_top - 0.5, "X", 7.5, bold=True)
        _text(pdf, x + 12, row_top, text, _BODY)
    rows = (len(ticks) + 3) // 4
    _text(pdf, MARGIN + 8, after + 4 + rows * 12, "\n".join(texts), _BODY, _CONTENT_W - 16)


def _draw_supplementary_page(
    pdf: Any,
    content: CertificateContent,
    layout: _Layout,
    lines: list[GoodsLine],
    number: int,
    pages: int,
) -> None:
    _text(pdf, MARGIN, MARGIN, "SUPPLEMENTARY PAGE - " + layout.title[-1], 9, bold=True)
    _text(pdf, MARGIN, MARGIN + 16, f"Reference No. {content.reference_number}", 10, bold=True)
    _text(pdf, MARGIN, MARGIN + 34,
          f"Exporter: {content.exporter.name}    Consignee: {content.consignee.name}",
          _BODY, _CONTENT_W)  # fmt: skip
    _text(pdf, MARGIN + _CONTENT_W - 80, MARGIN, f"Page {number} of {pages}", 9)
    _draw_table(pdf, content, layout, lines, _SUPP_TABLE_TOP, _SUPP_TABLE_H, continued=False)
    _draw_footer(pdf, content, number, pages)
    if content.sandbox:
        _draw_specimen(pdf)


def _draw_footer(pdf: Any, content: CertificateContent, number: int, pages: int) -> None:
    _text(
        pdf,
        MARGIN,
        PAGE_H - MARGIN + 4,
        f"{content.reference_number}    Page {number} of {pages}",
        _LABEL,
    )


def _draw_specimen(pdf: Any) -> None:
    pdf.saveState()
    pdf.setFillColorRGB(0.85, 0.1, 0.1)
    pdf.setFillAlpha(0.22)
    pdf.translate(PAGE_W / 2, PAGE_H / 2)
    pdf.rotate(52)
    pdf.setFont(FONT, 54)
    pdf.drawCentredString(0, 0, "SPECIMEN - NOT VALID")
    pdf.restoreState()


# --- printed values ------------------------------------------------------------------------


def _date(value: date) -> str:
    return value.strftime("%d %B %Y")


def _num(value: Decimal) -> str:
    return f"{value:,.2f}".removesuffix(".00")


def _party(party: Any) -> str:
    local = f"\n({party.local_name})" if party.local_name else ""
    return f"{party.name}{local}\n{party.address}\n{party.country.upper()}"


def _transport(content: CertificateContent) -> str:
    t = content.transport
    carrier = {"air": "Flight No.", "sea": "Vessel's name"}.get(t.mode, "Means of transport")
    return (
        f"Departure date: {_date(t.departure_date)}\n"
        f"{carrier}: {t.vessel_or_flight or '-'} (by {t.mode})\n"
        f"Port of loading: {t.port_of_loading}\n"
        f"Port of discharge: {t.port_of_discharge}"
    )


def _weight_quantity_value(line: GoodsLine, content: CertificateContent) -> str:
    parts = []
    if line.gross_weight_kg is not None:
        parts.append(f"G.W. {_num(line.gross_weight_kg)} KG")
    if line.quantity is not None:
        parts.append(f"{_num(line.quantity)} {line.quantity_unit}".strip())
    if line.fob_amount is not None:
        parts.append(f"FOB {line.fob_currency} {line.fob_amount:,.2f}")
    return "\n".join(parts)


def _weight_quantity(line: GoodsLine, content: CertificateContent) -> str:
    return "\n".join(p for p in _weight_quantity_value(line, content).split("\n")
                     if not p.startswith("FOB"))  # fmt: skip


def _invoice(line: GoodsLine, content: CertificateContent) -> str:
    if line.item_number != 1:
        return ""
    return f"{content.invoice.number}\n{_date(content.invoice.date)}"


def _description_with_hs(line: GoodsLine, content: CertificateContent) -> str:
    return f"{line.packages_and_description}\nHS: {line.hs_code}"


def _signatory(content: CertificateContent) -> str:
    """Who signs: the approving leader once known (the visible signature names them too)."""
    if not content.signer_name:
        return content.department_name
    title = f", {content.signer_title}" if content.signer_title else ""
    return f"{content.signer_name}{title}\n{content.department_name}"


def _declaration(content: CertificateContent, layout: _Layout) -> str:
    if layout.agreement:
        compliance = (f"and that they comply with the origin requirements specified for these "
                      f"goods in the {layout.agreement} for the goods exported to")  # fmt: skip
    else:
        compliance = "and that they are exported to"
    return (
        "The undersigned hereby declares that the above details and statement are correct; "
        f"that all the goods were produced in\n{content.exporting_country}\n{compliance}\n"
        f"{content.importing_country.upper()}\n\n"
        f"{content.declaration_place}, {_date(content.declaration_date)}\n"
        "Place and date, signature of authorised signatory"
    )


def _fta_remarks(content: CertificateContent) -> list[tuple[str, bool | None]]:
    r = content.remarks
    ticks: list[tuple[str, bool | None]] = [
        ("Issued Retroactively", r.issued_retroactively),
        ("Third Country Invoicing", r.third_country_invoicing),
        ("Exhibition", r.exhibition),
        ("Back-to-Back", r.back_to_back),
        ("Accumulation", r.accumulation),
        ("Partial Cumulation", r.partial_cumulation),
        ("De Minimis", r.de_minimis),
    ]
    return ticks + [(text, None) for text in _remark_texts(content, retro_text=None)]


def _eur1_remarks(content: CertificateContent) -> list[tuple[str, bool | None]]:
    return [(text, None) for text in _remark_texts(content, "ISSUED RETROSPECTIVELY")]


def _plain_remarks(content: CertificateContent) -> list[tuple[str, bool | None]]:
    return [(text, None) for text in _remark_texts(content, "ISSUED RETROACTIVELY")]


def _remark_texts(content: CertificateContent, retro_text: str | None) -> list[str]:
    r, texts = content.remarks, []
    if retro_text and r.issued_retroactively:
        texts.append(retro_text)
    if r.duplicate_of_issue_date:
        texts.append(f"DUPLICATE of the certificate issued on {_date(r.duplicate_of_issue_date)}")
    if r.replacement_of:
        texts.append(f"This certificate replaces certificate No. {r.replacement_of}, "
                     "which is cancelled.")  # fmt: skip
    tci = content.third_country_invoice
    if tci:
        texts.append(f"Third country invoicing: {tci.invoicing_company}, {tci.country}, "
                     f"invoice {tci.invoice_number} of {_date(tci.invoice_date)}")  # fmt: skip
    if r.free_text:
        texts.append(r.free_text)
    return texts


# --- layouts -------------------------------------------------------------------------------

_FTA_COLUMNS = [
    _Column("5. Item number", 0.06, lambda g, c: str(g.item_number)),
    _Column("6. Marks and numbers on packages", 0.15, lambda g, c: g.marks_and_numbers),
    _Column("7. Number and type of packages, description of goods (including quantity where "
            "appropriate and HS number of the importing country)", 0.35,
            _description_with_hs),
    _Column("8. Origin criterion", 0.1, lambda g, c: g.origin_criterion or ""),
    _Column("9. Gross weight or other quantity and value (FOB)", 0.17,
            _weight_quantity_value),
    _Column("10. Number and date of invoices", 0.17, _invoice),
]  # fmt: skip

_FTA_LEFT = [
    ("1. Goods consigned from (Exporter's business name, address, country)",
     lambda c: _party(c.exporter)),
    ("2. Goods consigned to (Consignee's name, address, country)",
     lambda c: _party(c.consignee)),
    ("3. Means of transport and route (as far as known)", _transport),
]  # fmt: skip

_PRODUCER = "Producer's name, address and country (if known)"

_OFFICIAL_USE = (
    "4. For Official Use\n[ ] Preferential Treatment Given\n[ ] Preferential "
    "Treatment Not Given (Please state reason/s)"
)

_AGREEMENTS = {
    "D": ("ASEAN TRADE IN GOODS AGREEMENT", "FORM D", "ASEAN Trade in Goods Agreement"),
    "E": ("ASEAN-CHINA FREE TRADE AREA", "FORM E", "ASEAN-China Free Trade Area"),
    "AK": ("ASEAN-KOREA FREE TRADE AREA", "FORM AK", "ASEAN-Korea Free Trade Area"),
    "VK": ("VIET NAM-KOREA FREE TRADE AGREEMENT", "FORM VK", "Viet Nam-Korea FTA"),
    "AJ": ("ASEAN-JAPAN COMPREHENSIVE ECONOMIC PARTNERSHIP", "FORM AJ", "AJCEP Agreement"),
    "VJ": ("VIET NAM-JAPAN ECONOMIC PARTNERSHIP AGREEMENT", "FORM VJ", "VJEPA"),
    "AI": ("ASEAN-INDIA FREE TRADE AREA", "FORM AI", "ASEAN-India Trade in Goods Agreement"),
    "AANZ": ("ASEAN-AUSTRALIA-NEW ZEALAND FREE TRADE AREA", "FORM AANZ", "AANZFTA"),
    "AHK": ("ASEAN-HONG KONG, CHINA FREE TRADE AREA", "FORM AHK", "AHKFTA"),
    "RCEP": ("REGIONAL COMPREHENSIVE ECONOMIC PARTNERSHIP", "FORM RCEP", "RCEP Agreement"),
    "CPTPP": ("COMPREHENSIVE AND PROGRESSIVE TRANS-PACIFIC PARTNERSHIP", "FORM CPTPP",
              "CPTPP"),
    "EAV": ("VIET NAM-EURASIAN ECONOMIC UNION FTA", "FORM EAV", "VN-EAEU FTA"),
    "VC": ("VIET NAM-CHILE FREE TRADE AGREEMENT", "FORM VC", "VCFTA"),
    "S": ("VIET NAM-LAO PDR TRADE AGREEMENT", "FORM S", "Viet Nam-Laos Trade Agreement"),
    "X": ("VIET NAM-CAMBODIA TRADE AGREEMENT", "FORM X", "Viet Nam-Cambodia Trade Agreement"),
}  # fmt: skip


def _fta_layout(form: str) -> _Layout:
    heading, form_name, agreement = _AGREEMENTS[form]
    return _Layout(
        title=[heading, "CERTIFICATE OF ORIGIN", "(Combined Declaration and Certificate)",
               form_name],
        agreement=agreement,
        left_boxes=_FTA_LEFT,
        right_boxes=[(_OFFICIAL_USE, lambda c: "", 1.0)],
        columns=_FTA_COLUMNS,
        remarks_label="13. Remarks (tick where applicable)",
        remarks=_fta_remarks,
        declaration_label="11. Declaration by the exporter",
        certification_label="12. Certification",
    )  # fmt: skip


_FORM_B = _Layout(
    title=["NON-PREFERENTIAL", "CERTIFICATE OF ORIGIN", "FORM B"],
    agreement="",
    left_boxes=[("1. Exporter (name, address, country)", lambda c: _party(c.exporter)),
                ("2. Consignee (name, address, country)", lambda c: _party(c.consignee)),
                ("3. Means of transport and route", _transport)],
    right_boxes=[("4. Country of destination", lambda c: c.importing_country.upper(), 0.35),
                 ("For official use", lambda c: "", 0.65)],
    columns=[
        _Column("5. Marks and numbers", 0.17, lambda g, c: g.marks_and_numbers),
        _Column("6. Number and kind of packages; description of goods", 0.38,
                lambda g, c: f"{g.item_number}. {g.packages_and_description}"),
        _Column("7. HS code", 0.11, lambda g, c: g.hs_code),
        _Column("8. Gross weight or other quantity", 0.16, _weight_quantity),
        _Column("9. Number and date of invoices", 0.18, _invoice),
    ],
    remarks_label="Remarks",
    remarks=_plain_remarks,
    declaration_label="10. Declaration by the exporter",
    certification_label="11. Certification",
)  # fmt: skip


def _eur1_layout(form: str) -> _Layout:
    partner = "THE UNITED KINGDOM" if form == "EUR.1 UK" else "THE EUROPEAN UNION"
    return _Layout(
        title=["MOVEMENT CERTIFICATE", "EUR.1"],
        agreement=f"Free Trade Agreement between Viet Nam and {partner.title()}",
        left_boxes=[("1. Exporter (name, full address, country)", lambda c: _party(c.exporter)),
                    ("3. Consignee (name, full address, country) (optional)",
                     lambda c: _party(c.consignee)),
                    ("6. Transport details (optional)", _transport)],
        right_boxes=[("2. Certificate used in preferential trade between",
                      lambda c: f"VIET NAM and {partner}", 0.34),
                     ("4. Country in which the products are considered as originating",
                      lambda c: c.exporting_country, 0.33),
                     ("5. Country of destination", lambda c: c.importing_country.upper(), 0.33)],
        columns=[
            _Column("8. Item number; marks and numbers; number and kind of packages; "
                    "description of goods", 0.62,
                    lambda g, c: f"{g.item_number}. {g.marks_and_numbers} - "
                                 f"{g.packages_and_description} (HS {g.hs_code})"),
            _Column("9. Gross mass (kg) or other measure (litres, m3, etc.)", 0.19,
                    _weight_quantity),
            _Column("10. Invoices (optional)", 0.19, _invoice),
        ],
        remarks_label="7. Remarks",
        remarks=_eur1_remarks,
        declaration_label="12. Declaration by the exporter",
        certification_label="11. Customs or competent authority endorsement",
    )  # fmt: skip


def _layout_for(form: str) -> _Layout:
    if form == "B":
        return _FORM_B
    if form.startswith("EUR.1"):
        return _eur1_layout(form)
    return _fta_layout(form)


def render_signature_appearance(
    signer_name: str, department_name: str, signed_at: datetime, width: float, height: float
) -> bytes:
    """A one-page PDF, the size of the signature box, shown as the visible signature."""
    from reportlab.pdfgen import canvas

    _register_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setStrokeColorRGB(0.1, 0.3, 0.6)
    pdf.setLineWidth(1)
    pdf.rect(1, 1, width - 2, height - 2)
    local = signed_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    pdf.setFillColorRGB(0.1, 0.3, 0.6)
    lines = [
        ("Digitally signed by / Ký số bởi:", 6.5, False),
        (signer_name, 9.5, True),
        (department_name, 7, False),
        (f"Time / Thời gian: {local:%Y-%m-%d %H:%M:%S} (UTC+07:00)", 7, False),
    ]
    top = 5.0
    for text, size, bold in lines:
        top = _text_at(pdf, 6, height, top, text, size, width - 12, bold) + 1.5
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _text_at(
    pdf: Any, x: float, page_h: float, top: float, text: str, size: float, width: float, bold: bool
) -> float:
    obj = pdf.beginText()
    obj.setFont(FONT, size, size * _LEADING)
    obj.setTextOrigin(x, page_h - top - size)
    if bold:
        obj.setTextRenderMode(2)
        pdf.setLineWidth(size / 30)
    lines = _wrap(text, width, size)
    for line in lines:
        obj.textLine(line)
    obj.setTextRenderMode(0)
    pdf.drawText(obj)
    return top + len(lines) * size * _LEADING
