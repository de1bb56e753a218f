"""The public verification routes, through a Chalice app on moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from chalice import Chalice
from chalice.test import Client

from chalicelib.adapters.certificate_store import (
    AllocationRequest,
    CertificateStore,
    DossierIssuedUpdate,
)
from chalicelib.domain.certificate import (
    Rendering,
    hash_verification_code,
)
from chalicelib.handlers.api.verification import prefers_html, verification_blueprint
from chalicelib.services.certificates import CertificateVerification

CODE = "s3cret-Code_1"
SHA = "ab" * 32


@pytest.fixture
def client(table):
    store = CertificateStore(table)
    record = store.allocate(AllocationRequest(
        dossier_id="d1", issuer_code="47", issuer_name="Sở Công Thương Đắk Lắk",
        importing_party="TH", year=2026, exporter_name="Krong Pac <Coffee> & Co",
        importing_country="Thailand", goods_summary="HS 0901.11: coffee"))  # fmt: skip
    store.record_rendering(record.reference_number, Rendering(
        hash_verification_code(CODE), datetime(2026, 12, 3).date(), "A", "B", "0,1,1,2,2"))
    table.put_item(Item={"PK": "DOSSIER#d1", "SK": "META", "status": "signed"})
    store.publish(record.reference_number, SHA, "k",
                  DossierIssuedUpdate("d1", record.reference_number, "k", datetime.now(UTC)))
    app = Chalice(app_name="verification-test")
    app.register_blueprint(verification_blueprint(lambda: CertificateVerification(store)))
    with Client(app) as test_client:
        yield test_client


def test_json_answer_for_a_valid_certificate(client):
    response = client.http.get(f"/verify/VN-TH-26-47-00001?code={CODE}",
                               headers={"Accept": "application/json"})

    body = json.loads(response.body)
    assert response.status_code == 200
    assert body["status"] == "valid"
    assert body["reference_number"] == "VN-TH 26/47/00001"
    assert body["pdf_sha256"] == SHA
    assert response.headers["Cache-Control"] == "no-store"


def test_browser_gets_the_bilingual_page_with_values_escaped(client):
    response = client.http.get(f"/verify/VN-TH-26-47-00001?code={CODE}",
                               headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})

    page = response.body.decode()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Hợp lệ / Valid" in page
    assert "Krong Pac &lt;Coffee&gt; &amp; Co" in page
    assert "<Coffee>" not in page


def test_wrong_code_and_unknown_reference_get_identical_answers(client):
    wrong = client.http.get("/verify/VN-TH-26-47-00001?code=guess",
                            headers={"Accept": "application/json"})
    unknown = client.http.get("/verify/VN-TH-26-47-00002?code=guess",
                              headers={"Accept": "application/json"})
    missing = client.http.get("/verify/VN-TH-26-47-00001", headers={"Accept": "application/json"})

    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    assert wrong.body == unknown.body == missing.body


def test_hash_route_says_whether_a_file_is_published(client):
    published = client.http.post("/verify/hash", body=json.dumps({"sha256": SHA.upper()}),
                                 headers={"Content-Type": "application/json"})
    other = client.http.post("/verify/hash", body=json.dumps({"sha256": "cd" * 32}),
                             headers={"Content-Type": "application/json"})
    garbage = client.http.post("/verify/hash", body=json.dumps({"sha256": "xyz"}),
                               headers={"Content-Type": "application/json"})

    assert published.status_code == 200
    assert json.loads(published.body)["certificate"]["reference_number"] == "VN-TH 26/47/00001"
    assert other.status_code == 404
    assert json.loads(other.body)["published"] is False
    assert garbage.status_code == 422


@pytest.mark.parametrize(("accept", "html"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("application/json", False),
    ("", False),
    ("application/json, text/html;q=0.5", False),
])  # fmt: skip
def test_browsers_are_told_apart_from_api_clients(accept, html):
    assert prefers_html(accept) is html
