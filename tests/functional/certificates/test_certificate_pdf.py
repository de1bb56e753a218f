"""Rendering: layouts per form, supplementary pages, remarks (text read back with pdfium)."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.adapters.certificate_pdf import render_certificate_pdf
from chalicelib.domain.certificate import CertificateContent
from tests.functional.certificates.pdf_text import pages_text as _pages_text
from tests.functional.certificates.pdf_text import ticked
from tests.functional.certificates.samples import content_from_sample, load_sample

URL = "https://verify.coissuer.example.vn/verify/VN-CN-26-03-00001?code=abc"


def _content(name: str = "form-e-footwear-cn", **changes: object) -> CertificateContent:
    content = content_from_sample(load_sample(name), "VN-CN 26/03/00001", URL,
                                  extra_lines=int(changes.pop("extra_lines", 0)))  # fmt: skip
    return CertificateContent.model_validate({**content.model_dump(), **changes})


def test_lines_that_do_not_fit_continue_on_numbered_supplementary_pages():
    rendered = render_certificate_pdf(_content(extra_lines=57))

    pages = _pages_text(rendered.pdf)
    assert rendered.pages == len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert "VN-CN 26/03/00001" in text
        assert f"Page {number} of {len(pages)}" in text
    assert "continue on the supplementary page" in pages[0]
    assert all("SUPPLEMENTARY PAGE" in text for text in pages[1:])
    printed_marks = "".join(pages)
    assert all(f"EXTRA/{n}" in printed_marks for n in range(1, 58))


def test_form_d_prints_its_numbered_boxes_and_remark_ticks():
    text = _pages_text(render_certificate_pdf(_content("form-d-coffee-th", form="D")).pdf)[0]

    for label in ("1. Goods consigned from", "2. Goods consigned to", "3. Means of transport",
                  "4. For Official Use", "5. Item", "6. Marks and numbers",
                  "7. Number and type of packages", "8. Origin", "9. Gross weight",
                  "10. Number and date of", "11. Declaration by the exporter",
                  "12. Certification", "13. Remarks", "Third Country Invoicing",
                  "Back-to-Back", "Issued Retroactively", "FORM D"):  # fmt: skip
        assert label in text, label


@pytest.mark.parametrize("retroactive", [True, False])
def test_form_d_ticks_issued_retroactively_only_when_retroactive(retroactive):
    content = _content("form-d-coffee-th", form="D",
                       remarks={"issued_retroactively": retroactive})  # fmt: skip

    pdf = render_certificate_pdf(content).pdf

    assert ticked(pdf, "Issued Retroactively") is retroactive
    assert ticked(pdf, "Exhibition") is False


def test_form_d_ticks_the_exporters_remarks():
    content = _content("form-d-coffee-th", form="D", remarks={"back_to_back": True})

    pdf = render_certificate_pdf(content).pdf

    assert ticked(pdf, "Back-to-Back") is True
    assert ticked(pdf, "Issued Retroactively") is False


def test_rcep_prints_the_producer_box_with_its_text():
    content = _content("form-d-coffee-th", form="RCEP", producer="Ea Tam Roastery, Dak Lak")

    text = _pages_text(render_certificate_pdf(content).pdf)[0]

    assert "Producer's name, address and country (if known)" in text
    assert "Ea Tam Roastery, Dak Lak" in text


def test_a_certificate_without_a_producer_has_no_producer_box():
    text = _pages_text(render_certificate_pdf(_content("form-d-coffee-th", form="D")).pdf)[0]

    assert "Producer's name" not in text


def test_before_approval_the_page_names_the_department_not_a_leader():
    content = _content(signer_name=None)

    text = _pages_text(render_certificate_pdf(content).pdf)[0]

    assert "Nguyễn Văn Đức" not in text
    assert "Deputy Director" not in text
    assert content.department_name in text.replace("\n", " ")


def test_eur1_carries_retrospective_and_duplicate_remarks_in_box_7():
    remarks = {"issued_retroactively": True, "duplicate_of_issue_date": date(2026, 11, 20)}
    content = _content("form-b-cashew-ae", form="EUR.1", remarks=remarks)

    text = _pages_text(render_certificate_pdf(content).pdf)[0]

    assert "MOVEMENT CERTIFICATE" in text
    assert "7. Remarks" in text
    assert "ISSUED RETROSPECTIVELY" in text
    assert "DUPLICATE of the certificate issued on 20 November 2026" in text


def test_replacement_names_the_certificate_it_replaces():
    content = _content(remarks={"replacement_of": "VN-CN 26/03/00007"})

    text = _pages_text(render_certificate_pdf(content).pdf)[0]

    assert "replaces certificate No. VN-CN 26/03/00007" in text


def test_third_country_invoicing_is_printed_with_the_invoicing_company():
    text = _pages_text(render_certificate_pdf(_content()).pdf)[0]

    assert "Everstep Global Sourcing Ltd." in text
    assert "EGS-HK-26-5521" in text


def test_signature_place_lies_inside_the_first_page():
    box = render_certificate_pdf(_content()).signature_box

    assert box.page == 0
    assert 0 < box.x1 < box.x2 < 595 and 0 < box.y1 < box.y2 < 842
    assert box.x2 - box.x1 > 150 and box.y2 - box.y1 > 50


def test_rendered_certificate_has_an_empty_signature_field_where_the_leader_signs():
    import io

    import pikepdf

    rendered = render_certificate_pdf(_content())

    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        [field] = pdf.Root.AcroForm.Fields
        assert (str(field.FT), str(field.T)) == ("/Sig", "LeaderSignature")
        assert "/V" not in field
        assert [float(v) for v in field.Rect] == pytest.approx(
            [rendered.signature_box.x1, rendered.signature_box.y1,
             rendered.signature_box.x2, rendered.signature_box.y2], abs=0.01)  # fmt: skip
