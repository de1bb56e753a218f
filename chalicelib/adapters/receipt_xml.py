"""A receipt as XML in the data layout of Vietnam's electronic invoices and receipts.

The layout follows the tax authority's invoice data format: general information (`TTChung`),
the collector as seller (`NBan`), the payer as buyer (`NMua`), the items (`DSHHDVu`) and the
totals (`TToan`); a replacement or adjustment names its original in `TTHDLQuan`.
NOTE: the element set is the common core of the format; a provider's own schema version must
be confirmed with the department before go-live.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET  # builds only; parsing goes through defusedxml

from chalicelib.domain.receipts import Receipt, ReceiptKind

FORMAT_VERSION = "2.1.0"
TEST_RECEIPT_NOTE = "Biên lai thử nghiệm - không có giá trị pháp lý"
_CORRECTION_CODES = {ReceiptKind.REPLACEMENT: "1", ReceiptKind.ADJUSTMENT: "2"}


def receipt_element(receipt: Receipt) -> ET.Element:
    """The `HDon` element of one receipt, with its signature reference in `DSCKS`."""
    root = ET.Element("HDon")
    content = ET.SubElement(root, "DLHDon", Id="receipt-data")
    _general_information(ET.SubElement(content, "TTChung"), receipt)

    body = ET.SubElement(content, "NDHDon")
    _party(
        ET.SubElement(body, "NBan"),
        receipt.collector.name,
        receipt.collector.tax_code,
        receipt.collector.address,
    )
    _party(
        ET.SubElement(body, "NMua"),
        receipt.payer.name,
        receipt.payer.tax_code,
        receipt.payer.address,
    )
    _items(ET.SubElement(body, "DSHHDVu"), receipt)
    _totals(ET.SubElement(body, "TToan"), receipt)

    _other_information(ET.SubElement(content, "TTKhac"), receipt)
    signatures = ET.SubElement(root, "DSCKS")
    _text(signatures, "NBan", receipt.signature_reference or "")
    return root


def receipt_xml(receipt: Receipt) -> bytes:
    return ET.tostring(receipt_element(receipt), encoding="utf-8", xml_declaration=True)


def _general_information(general: ET.Element, receipt: Receipt) -> None:
    _text(general, "PBan", FORMAT_VERSION)
    _text(general, "THDon", receipt.receipt_name)
    _text(general, "KHMSHDon", receipt.key.form_number)
    _text(general, "KHHDon", receipt.key.series)
    _text(general, "SHDon", receipt.key.number_text)
    _text(general, "NLap", receipt.issue_date.isoformat())
    _text(general, "DVTTe", "VND")
    _text(general, "HTTToan", "Chuyển khoản")
    if receipt.original is not None:
        related = ET.SubElement(general, "TTHDLQuan")
        _text(related, "TCHDon", _CORRECTION_CODES[receipt.kind])
        _text(related, "KHMSHDCLQuan", receipt.original.form_number)
        _text(related, "KHHDCLQuan", receipt.original.series)
        _text(related, "SHDCLQuan", receipt.original.number_text)


def _party(party: ET.Element, name: str, tax_code: str | None, address: str | None) -> None:
    _text(party, "Ten", name)
    _text(party, "MST", tax_code or "")
    _text(party, "DChi", address or "")


def _items(items: ET.Element, receipt: Receipt) -> None:
    item = ET.SubElement(items, "HHDVu")
    _text(item, "STT", "1")
    _text(item, "THHDVu", receipt.fee.name)
    _text(item, "DVTinh", "Bộ")
    _text(item, "SLuong", "1")
    _text(item, "DGia", str(receipt.fee.amount))
    _text(item, "ThTien", str(receipt.fee.amount))


def _totals(totals: ET.Element, receipt: Receipt) -> None:
    _text(totals, "TgTTTBSo", str(receipt.fee.amount))
    _text(totals, "TgTTTBChu", receipt.amount_in_words)


def _other_information(other: ET.Element, receipt: Receipt) -> None:
    _field(other, "MaThanhToan", receipt.payment_reference)
    if receipt.dossier_id:
        _field(other, "MaHoSo", receipt.dossier_id)
    if receipt.test_receipt:
        _field(other, "BienLaiThuNghiem", TEST_RECEIPT_NOTE)


def _field(parent: ET.Element, name: str, value: str) -> None:
    entry = ET.SubElement(parent, "TTin")
    _text(entry, "TTruong", name)
    _text(entry, "KDLieu", "string")
    _text(entry, "DLieu", value)


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = value
    return element
