"""Hostile files: wrong type, oversize, disguised content, PDF bombs and broken PDFs, and an XML
statement with entities."""

from __future__ import annotations

import pytest

from chalicelib.adapters.statement_formats.camt053 import UnsafeXmlError
from chalicelib.domain.attachments import MAX_BYTES, PDF_INFLATED_LIMIT, UploadRequest
from chalicelib.domain.errors import RuleViolationError, ValidationFailedError
from chalicelib.domain.forms import catalogue
from chalicelib.wiring import container
from tests.functional.dossier_stack import build_stack
from tests.isolated_aws import isolated_aws
from tests.security.world import STATEMENTS, register_department, statement_notifications_held
from tests.stack import Stack
from tools.samples import attachment_kinds, draft_request, load_sample, registration, simple_pdf

SAMPLE = "form-d-coffee-th.json"
PDF = simple_pdf("commercial invoice")
BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Document [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><Stmt><Id>&lol4;</Id></Stmt></BkToCstmrStmt>
</Document>
"""


@pytest.fixture
def desk():
    with isolated_aws():
        built = build_stack()
        forms = [form.code for form in catalogue().forms]
        built.departments.records["DL"] = {"state": "live", "allowed_forms": forms}
        sample = load_sample(SAMPLE)
        tax_code = sample["exporter"]["tax_code"]
        built.traders.register(registration(sample, False), tax_code)
        dossier = built.dossiers.create(
            tax_code, f"exporter:{tax_code}", draft_request(sample, "DL")
        )
        yield built, tax_code, dossier, attachment_kinds(sample)


def upload(desk, kind: str, content_type: str, size: int, body: bytes | None = None):
    built, tax_code, dossier, _ = desk
    granted = built.dossiers.request_upload(
        tax_code,
        dossier.id,
        UploadRequest(kind=kind, filename=f"{kind}.pdf", content_type=content_type, size=size),
    )
    if body is not None:
        built.s3.put_object(Bucket=built.bucket_name, Key=granted.attachment.key, Body=body)
    return granted


def submit_with(desk, first_body: bytes) -> str:
    """Upload every required attachment, the first one with `first_body`; the refusal."""
    built, tax_code, dossier, kinds = desk
    for index, kind in enumerate(kinds):
        body = first_body if index == 0 else PDF
        upload(desk, kind, "application/pdf", 2000, body)
    with pytest.raises(RuleViolationError) as refused:
        built.dossiers.submit(tax_code, f"exporter:{tax_code}", dossier.id)
    return str(refused.value)


def test_an_upload_of_a_type_not_allowed_is_refused_by_name(desk) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        upload(desk, desk[3][0], "application/x-msdownload", 2000)

    assert [problem.pointer for problem in refused.value.problems] == ["/content_type"]
    assert "allowed types are application/pdf" in refused.value.problems[0].message


def test_an_upload_declared_over_ten_megabytes_is_refused(desk) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        upload(desk, desk[3][0], "application/pdf", MAX_BYTES + 1)

    assert [problem.pointer for problem in refused.value.problems] == ["/size"]


def test_a_file_larger_than_declared_is_rejected_at_submission(desk) -> None:
    refusal = submit_with(desk, PDF + b"\0" * MAX_BYTES)

    assert "more than 10 MB" in refusal


def test_a_program_disguised_as_a_pdf_is_rejected_at_submission(desk) -> None:
    refusal = submit_with(desk, b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\0" * 500)

    assert "not a PDF, JPEG, PNG or XML document" in refusal


def pdf_with_stream(payload: bytes) -> bytes:
    """A PDF whose one content stream is `payload`, Flate-compressed."""
    import zlib

    packed = zlib.compress(payload, 9)
    return (
        b"%%PDF-1.7\n1 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed)
        + packed
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
    )


def test_a_pdf_bomb_is_rejected_at_submission_without_being_rendered(desk) -> None:
    bomb = pdf_with_stream(b"\0" * (PDF_INFLATED_LIMIT + 1))
    assert len(bomb) < 1024 * 1024  # small on the wire, huge once opened

    refusal = submit_with(desk, bomb)

    assert "inflates to more than 200 MB" in refusal


def test_a_truncated_pdf_is_rejected_at_submission(desk) -> None:
    whole = simple_pdf("bill of lading")

    refusal = submit_with(desk, whole[: len(whole) // 2])

    assert "truncated or malformed" in refusal


def test_well_formed_pdfs_with_compressed_content_are_accepted(desk) -> None:
    built, tax_code, dossier, kinds = desk
    for kind in kinds:
        upload(desk, kind, "application/pdf", 2000, pdf_with_stream(b"BT (page) Tj ET\n" * 5000))

    submitted = built.dossiers.submit(tax_code, f"exporter:{tax_code}", dossier.id)

    assert {attachment.state for attachment in submitted.attachments} == {"received"}


def test_a_statement_declaring_entities_is_refused_unread(stack: Stack) -> None:
    register_department("HP")
    key = "statements/techcombank/HP/2026-12-02/laughs.xml"
    with statement_notifications_held(stack):
        stack.client("s3").put_object(Bucket=STATEMENTS, Key=key, Body=BILLION_LAUGHS)

        with pytest.raises(UnsafeXmlError) as refused:
            container().reconciliation.reconcile_statement_object(STATEMENTS, key)

    assert "DOCTYPE or ENTITY declaration" in str(refused.value)
