"""The render, sign and publish task steps on the local stack, signing with KMS (moto)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.domain.certificate import code_matches
from chalicelib.domain.dossiers import Status
from chalicelib.services import certificates
from chalicelib.wiring import container
from tests.functional.certificates.independent_checks import (
    endesive_results,
    pyhanko_status,
    qpdf_problems,
    qr_texts,
    signature_appearance_text,
    tampered,
)
from tests.functional.certificates.pdf_text import ticked
from tests.functional.certificates.samples import SampleDossiers
from tests.functional.exporter_api import ready_draft
from tests.functional.lifecycle_support import (
    LEADER,
    Staff,
    live_department,
    pay,
    wait_for_status,
)
from tests.stack import Stack, json_body
from tools.test_ca import LOCAL_LEADER, create_test_pki, signing_secret_for_kms


@pytest.fixture
def signing_secret(stack: Stack) -> None:
    """What `make run` stores: the leader's certificate for the KMS key, chain and local TSA."""
    deps = container()
    secret = signing_secret_for_kms(
        create_test_pki(), deps.kms, deps.settings.SIGNING_KMS_KEY_ID, "Nguyễn Văn Đức", "Dak Lak"
    )
    deps.secretsmanager.put_secret_value(SecretId=deps.settings.SIGNING_SECRET_NAME,
                                         SecretString=json.dumps(secret))  # fmt: skip


def test_steps_issue_a_certificate_that_the_public_route_verifies(stack: Stack, signing_secret):
    deps = container()
    source = SampleDossiers(deps.table, deps.settings.PUBLIC_BASE_URL,
                            {"d-coffee": "form-d-coffee-th"})  # fmt: skip

    unsigned_key = certificates.render_certificate(deps, source, "d-coffee")
    signed_key = certificates.sign_certificate(deps, source, "d-coffee")
    source.mark_signed("d-coffee")
    reference = certificates.publish_certificate(deps, source, "d-coffee")

    assert unsigned_key == "certificates/VN-TH-26-47-00001/unsigned.pdf"
    assert signed_key == "certificates/VN-TH-26-47-00001/signed.pdf"
    assert reference == "VN-TH 26/47/00001"
    record = deps.certificate_store.get(reference)
    url = urlparse(_qr_url(deps.certificate_files.get(record.pdf_key)))
    response = stack.http.get(f"{url.path}?{url.query}", headers={"Accept": "application/json"})
    assert json_body(response)["status"] == "valid"
    assert json_body(response)["pdf_sha256"] == record.pdf_sha256


def _qr_url(pdf: bytes) -> str:
    import pypdfium2
    import zxingcpp

    [barcode] = zxingcpp.read_barcodes(pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil())
    return barcode.text


def test_a_certificate_issued_through_the_workflow_passes_the_independent_checks(stack: Stack):
    # Given a Form D dossier (goods left on 2 Dec) submitted and paid on 3 Dec, whose review
    # and signature come five days later, after the 3-day limit for a timely certificate.
    live_department("DAK-LAK")
    staff, ca_pem = Staff(stack, "DAK-LAK"), _local_ca_pem()
    exporter, dossier_id = ready_draft(stack)
    assert exporter.submit(dossier_id).status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_PAYMENT)
    assert pay(stack, dossier_id, "FT-ISSUED-1").status_code == 200
    wait_for_status(dossier_id, Status.PAID)
    stack.clock.advance(days=5)

    # When the specialist approves and the leader approves signing
    assert staff.claim(dossier_id).status_code == 200
    assert staff.decide(dossier_id, "approve").status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_SIGNATURE)
    assert staff.approve_signing(dossier_id).status_code == 200
    issued = wait_for_status(dossier_id, Status.ISSUED, Status.NEEDS_ATTENTION)

    # Then the published file validates under the test CA, in the approving leader's name
    assert issued.status == Status.ISSUED, issued.attention
    record = container().certificate_store.get_by_dossier(dossier_id)
    pdf = container().certificate_files.get(record.pdf_key)
    status = pyhanko_status(pdf, ca_pem)
    assert status.bottom_line, status.pretty_print_details()
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.timestamp_validity.valid and status.timestamp_validity.trusted
    assert status.signing_cert.subject.native["common_name"] == LOCAL_LEADER
    [endesive] = endesive_results(pdf, ca_pem)
    assert (endesive.hashok, endesive.signatureok, endesive.certok, endesive.tspok) == (
        True, True, True, True)  # fmt: skip
    assert qpdf_problems(pdf) == []
    appearance = signature_appearance_text(pdf)
    assert LEADER in appearance
    assert "Dak Lak" in appearance
    shown = re.search(r"Time / Thời gian: (\S+ \S+) \(UTC\+07:00\)", appearance)
    signed_at = datetime.fromisoformat(f"{shown[1]}+07:00")
    assert abs(signed_at - status.timestamp_validity.timestamp) < timedelta(minutes=1)
    assert record.signer_name == LEADER

    # and the page is marked retroactive, its QR code carrying the printed verification URL
    assert ticked(pdf, "Issued Retroactively")
    [url] = qr_texts(pdf)
    parsed = urlparse(url)
    assert url.startswith(f"{container().settings.PUBLIC_BASE_URL}/verify/VN-TH-26-")
    assert code_matches(parse_qs(parsed.query)["code"][0], record.verification_code_hash)
    verified = stack.http.get(f"{parsed.path}?{parsed.query}",
                              headers={"Accept": "application/json"})  # fmt: skip
    assert json_body(verified)["status"] == "valid"

    # and the exporter's dossier view names the receipt their fee got
    shown = json_body(exporter.get(dossier_id))["receipt"]
    receipt = json_body(stack.http.get(f"/dossiers/{dossier_id}/receipt",
                                       headers=exporter.headers))["receipt"]  # fmt: skip
    assert (shown["series"], shown["number"]) == (receipt["series"], receipt["number"])
    assert len(shown["number"]) == 7

    # and a tampered copy fails both validators
    copy = tampered(pdf)
    assert not pyhanko_status(copy, ca_pem).bottom_line
    [broken] = endesive_results(copy, ca_pem)
    assert not broken.hashok


def test_form_d_numbered_more_than_a_year_after_departure_waits_for_operations(stack: Stack):
    live_department("DAK-LAK")
    staff = Staff(stack, "DAK-LAK")
    exporter, dossier_id = ready_draft(stack)
    assert exporter.submit(dossier_id).status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_PAYMENT)
    assert pay(stack, dossier_id, "FT-LATE-1").status_code == 200
    wait_for_status(dossier_id, Status.PAID)
    stack.clock.advance(days=366)

    assert staff.claim(dossier_id).status_code == 200
    assert staff.decide(dossier_id, "approve").status_code == 200
    stuck = wait_for_status(dossier_id, Status.NEEDS_ATTENTION)

    assert stuck.attention.error == "RetroactiveLimitExceededError"
    assert container().certificate_store.get_by_dossier(dossier_id) is None


def _local_ca_pem() -> str:
    deps = container()
    secret = deps.secretsmanager.get_secret_value(SecretId=deps.settings.SIGNING_SECRET_NAME)
    return str(json.loads(secret["SecretString"])["chain_pem"][0])
