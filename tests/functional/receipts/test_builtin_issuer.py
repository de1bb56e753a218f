from __future__ import annotations

from io import BytesIO
from pathlib import Path

from defusedxml import ElementTree as SafeET

from chalicelib.adapters.builtin_receipt_issuer import BuiltInReceiptIssuer
from chalicelib.domain.receipts import Collector, Payer, ReceiptKind, correction_of
from tests.fakes.pdf_signer import PyHankoTestSigner
from tests.functional.receipts.conftest import BUCKET, DEC_3, ISSUANCE_FEE, draft_for


def _signature_status(pdf: bytes, cert_path: Path) -> object:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    signature = PdfFileReader(BytesIO(pdf)).embedded_signatures[0]
    trust = ValidationContext(trust_roots=[load_cert_from_pemder(str(cert_path))])
    return validate_pdf_signature(signature, trust)


def test_publishes_xml_with_every_mandatory_field_and_a_signed_pdf(
    issuer: BuiltInReceiptIssuer,
    s3: object,
    collector: Collector,
    payer: Payer,
    signer: PyHankoTestSigner,
    collector_key: tuple[Path, Path],
) -> None:
    # given receipt 0000001 of series DL26
    receipt = draft_for(collector, payer, "CO12345678X").numbered(1)

    # when the built-in issuer publishes it
    published = issuer.publish(receipt)

    # then the XML in the bucket carries every mandatory field in the invoice layout
    assert published.xml_key == "receipts/01BLP0-001/DL26/0000001.xml"
    xml = s3.get_object(Bucket=BUCKET, Key=published.xml_key)["Body"].read()  # type: ignore[attr-defined]
    root = SafeET.fromstring(xml)
    general, body = root.find("DLHDon/TTChung"), root.find("DLHDon/NDHDon")
    assert general.findtext("THDon") == "Biên lai thu phí, lệ phí"
    assert general.findtext("KHMSHDon") == "01BLP0-001"
    assert general.findtext("KHHDon") == "DL26"
    assert general.findtext("SHDon") == "0000001"
    assert general.findtext("NLap") == "2026-12-03"
    assert body.findtext("NBan/Ten") == "Sở Công Thương tỉnh Đắk Lắk"
    assert body.findtext("NBan/MST") == "6000181358"
    assert body.findtext("NMua/Ten") == "Công ty TNHH Cà phê Krông Pắc"
    assert body.findtext("NMua/MST") == "6002837411"
    assert body.findtext("NMua/DChi").startswith("126 Nguyen Tat Thanh")
    assert body.findtext("DSHHDVu/HHDVu/THHDVu") == ISSUANCE_FEE.name
    assert body.findtext("TToan/TgTTTBSo") == "60000"
    assert body.findtext("TToan/TgTTTBChu") == "Sáu mươi nghìn đồng"
    assert root.findtext("DSCKS/NBan") == signer.reference == published.signature_reference

    # and it is marked as a test receipt, in the XML and on a PDF whose signature validates
    marks = [e.findtext("TTruong") for e in root.iterfind("DLHDon/TTKhac/TTin")]
    assert "BienLaiThuNghiem" in marks
    pdf = s3.get_object(Bucket=BUCKET, Key=published.pdf_key)["Body"].read()  # type: ignore[attr-defined]
    status = _signature_status(pdf, collector_key[1])
    assert status.intact and status.valid  # type: ignore[attr-defined]


def test_a_replacement_names_its_original_and_lookup_finds_published_keys(
    issuer: BuiltInReceiptIssuer, s3: object, collector: Collector, payer: Payer
) -> None:
    # given a published receipt and its replacement
    original = draft_for(collector, payer, "CO12345678X").numbered(1)
    issuer.publish(original)
    corrected_payer = payer.model_copy(update={"name": "Công ty TNHH Cà phê Krông Pắc (sửa)"})
    replacement = correction_of(
        original, ReceiptKind.REPLACEMENT, ISSUANCE_FEE, corrected_payer, DEC_3
    ).numbered(2)

    # when the replacement is published
    published = issuer.replace(replacement)

    # then its XML names the original, and lookup knows both keys and not a third
    xml = s3.get_object(Bucket=BUCKET, Key=published.xml_key)["Body"].read()  # type: ignore[attr-defined]
    related = SafeET.fromstring(xml).find("DLHDon/TTChung/TTHDLQuan")
    assert related.findtext("TCHDon") == "1"
    assert related.findtext("SHDCLQuan") == "0000001"
    assert issuer.lookup(original.key.provider_key) is not None
    assert issuer.lookup(replacement.key.provider_key) == published
    assert issuer.lookup("01BLP0-001-DL26-0000003") is None
