"""A resubmission after amendment passes the same checks as the first submission."""

from __future__ import annotations

import pytest

from chalicelib.domain.dossiers import Status
from chalicelib.wiring import container
from tests.functional.exporter_api import ready_draft
from tests.functional.lifecycle_support import Staff, live_department, pay, wait_for_status
from tests.stack import Stack, json_body

DEPARTMENT = "DAK-LAK"
ALL_BUT_TRANSPORT = ["export_customs_declaration", "commercial_invoice", "origin_statement"]


@pytest.fixture
def department(stack: Stack) -> str:
    live_department(DEPARTMENT)
    return DEPARTMENT


def test_a_resubmission_without_a_required_document_is_refused_until_a_good_one_is_uploaded(
    stack: Stack, department: str
) -> None:
    # given a dossier submitted with its transport document deferred, then sent back
    staff = Staff(stack, department)
    exporter, dossier_id = ready_draft(stack, kinds=ALL_BUT_TRANSPORT)
    deferring = {"deferred_attachments": ["transport_document"]}
    assert exporter.call("PATCH", f"/dossiers/{dossier_id}", deferring).status_code == 200
    assert exporter.submit(dossier_id).status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_PAYMENT)
    assert pay(stack, dossier_id, "FT-RESUBMIT-1").status_code == 200
    assert staff.claim(dossier_id).status_code == 200
    comment = {"target": "transport_document", "comment": "Attach the bill of lading now"}
    assert staff.decide(dossier_id, "amend", comments=[comment]).status_code == 200
    wait_for_status(dossier_id, Status.AMENDMENT_REQUESTED)
    undeferring = {"deferred_attachments": []}
    assert exporter.call("PATCH", f"/dossiers/{dossier_id}", undeferring).status_code == 200

    # when the exporter resubmits without it, then with a file that is not a PDF, then with one
    missing = exporter.call("POST", f"/dossiers/{dossier_id}/resubmission")
    assert exporter.attach(dossier_id, "transport_document", b"not a pdf at all").status_code == 201
    not_a_pdf = exporter.call("POST", f"/dossiers/{dossier_id}/resubmission")
    assert exporter.attach(dossier_id, "transport_document").status_code == 201
    resubmitted = exporter.call("POST", f"/dossiers/{dossier_id}/resubmission")

    # then the first two are refused naming the document, the third goes to review
    assert missing.status_code == 422, missing.body
    assert "transport_document" in json_body(missing)["detail"]
    assert not_a_pdf.status_code == 422, not_a_pdf.body
    assert "rejected uploads: transport_document" in json_body(not_a_pdf)["detail"]
    assert resubmitted.status_code == 200, resubmitted.body
    dossier = container().dossier_store.get_dossier(dossier_id)
    assert dossier.status == Status.UNDER_REVIEW
    transport = [a.state for a in dossier.attachments if a.kind == "transport_document"]
    assert transport == ["rejected", "received"]
