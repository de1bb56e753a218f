"""The bilingual (Vietnamese / English) verification page shown to browsers.

Every value is escaped; the page loads nothing from elsewhere.
"""

from __future__ import annotations

from html import escape

from chalicelib.domain.certificate import CertificateStatus, VerificationResult

_STATUS = {
    CertificateStatus.VALID: ("Hợp lệ", "Valid", "#1b7a34"),
    CertificateStatus.CANCELLED: ("Đã bị hủy", "Cancelled", "#b3261e"),
    CertificateStatus.REPLACED: ("Đã được thay thế", "Replaced", "#b3261e"),
    CertificateStatus.TEST: ("Bản thử nghiệm - không có giá trị", "Test - not valid", "#8a5a00"),
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;"
    "color:#1d1d1d}h1{font-size:1.3rem}dt{font-weight:600;margin-top:.7rem}dd{margin:0}"
    ".status{font-size:1.2rem;font-weight:700;padding:.5rem .8rem;border-radius:.3rem;"
    "color:#fff;display:inline-block}code{word-break:break-all}"
)


def render_verification_page(result: VerificationResult | None) -> str:
    """The page for a verified certificate, or the one 'not found' page."""
    if result is None:
        body = (
            "<h1>Không tìm thấy giấy chứng nhận / Certificate not found</h1>"
            "<p>Không có giấy chứng nhận xuất xứ nào khớp với số tham chiếu và mã xác minh này."
            "</p><p>No certificate of origin matches this reference number and verification "
            "code.</p>"
        )
        return _page("Không tìm thấy / Not found", body)
    vi, en, colour = _STATUS[result.status]
    rows = [
        ("Số tham chiếu / Reference number", result.reference_number),
        ("Cơ quan cấp / Issued by", result.issuer),
        ("Ngày cấp / Issue date", result.issue_date.isoformat() if result.issue_date else "-"),
        ("Thương nhân xuất khẩu / Exporter", result.exporter),
        ("Nước nhập khẩu / Importing country", result.importing_country),
        ("Hàng hóa / Goods", result.goods_summary),
    ]
    details = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    digest = escape(result.pdf_sha256 or "-")
    body = (
        "<h1>Xác minh giấy chứng nhận xuất xứ / Certificate of origin verification</h1>"
        f'<p class="status" style="background:{colour}">{escape(vi)} / {escape(en)}</p>'
        f"<dl>{details}<dt>SHA-256 của tệp PDF đã công bố / SHA-256 of the published PDF</dt>"
        f"<dd><code>{digest}</code></dd></dl>"
        "<p>So sánh SHA-256 của tệp bạn nhận được với giá trị trên. / Compare the SHA-256 of "
        "the file you received with the value above.</p>"
    )
    return _page(f"{vi} / {en}", body)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
