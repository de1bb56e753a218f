import pytest

from chalicelib.domain.attachments import (
    MAX_BYTES,
    UploadRequest,
    received_problem,
    sniff_content_type,
    upload_problems,
)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"\xef\xbb\xbf<?xml version='1.0'?><a/>", "application/xml"),
        (b"PK\x03\x04\x14\x00", None),
        (b"MZ\x90\x00", None),
        (b"", None),
    ],
)
def test_content_is_recognised_from_its_first_bytes(head, expected):
    assert sniff_content_type(head) == expected


def test_a_file_that_lies_about_its_type_is_rejected():
    assert received_problem("application/pdf", 100, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR") == (
        "the file is image/png, not the declared application/pdf"
    )


def test_oversize_and_unsupported_uploads_are_refused_before_any_url_is_given():
    request = UploadRequest(
        kind="other", filename="a.docx", content_type="application/msword", size=MAX_BYTES + 1
    )

    assert [pointer for pointer, _ in upload_problems(request)] == ["/content_type", "/size"]


def test_a_well_formed_pdf_has_no_problem():
    from chalicelib.domain.attachments import pdf_problem
    from tools.samples import simple_pdf

    assert pdf_problem(simple_pdf("invoice")) is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDX-1.7\n" + b"x" * 100, "no valid header"),
        (b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n", "does not end with a cross-reference trailer"),
    ],
)
def test_a_broken_pdf_is_named_as_such(data, reason):
    from chalicelib.domain.attachments import pdf_problem

    assert reason in (pdf_problem(data) or "")


def test_damaged_compressed_data_is_not_taken_for_a_bomb():
    from chalicelib.domain.attachments import pdf_problem

    damaged = (
        b"%PDF-1.7\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\nnot zlib at all\nendstream\n"
        b"endobj\nstartxref\n9\n%%EOF\n"
    )

    assert pdf_problem(damaged) is None
