"""Public verification through the app on the in-process stack."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from chalicelib.adapters.certificate_store import (
    AllocationRequest,
    CertificateStore,
    DossierIssuedUpdate,
)
from chalicelib.domain.certificate import CertificateStatus, Rendering, hash_verification_code
from chalicelib.handlers.api.verification import prefers_html
from chalicelib.wiring import container
from tests.stack import Stack, json_body

CODE = "s3cret-Code_1"
SHA = "ab" * 32
JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _issue(store: CertificateStore, table, dossier_id: str, *, sandbox: bool = False) -> str:
    record = store.allocate(
        AllocationRequest(
            dossier_id=dossier_id,
            issuer_code="47",
            issuer_name="Sở Công Thương Đắk Lắk",
            importing_party="TH",
            year=2026,
            exporter_name="Krong Pac <Coffee> & Co",
            importing_country="Thailand",
            goods_summary="HS 0901.11: coffee",
            sandbox=sandbox,
        )
    )
    store.record_rendering(
        record.reference_number,
        Rendering(hash_verification_code(CODE), date(2026, 12, 3), "A", "B", "0,1,1,2,2"),
    )
    table.put_item(Item={"PK": f"DOSSIER#{dossier_id}", "SK": "META", "status": "signed"})
    sha = SHA if not sandbox else "cd" * 32
    store.publish(record.reference_number, sha, "k",
                  DossierIssuedUpdate(dossier_id, record.reference_number, "k",
                                      datetime.now(UTC)))  # fmt: skip
    return str(record.reference_number)


@pytest.fixture
def issued(stack: Stack) -> CertificateStore:
    deps = container()
    _issue(deps.certificate_store, deps.table, "d1")
    return deps.certificate_store


def test_json_answer_for_a_valid_certificate(stack: Stack, issued) -> None:
    response = stack.http.get(f"/verify/VN-TH-26-47-00001?code={CODE}", headers=JSON)

    body = json_body(response)
    assert response.status_code == 200
    assert body["status"] == "valid"
    assert body["reference_number"] == "VN-TH 26/47/00001"
    assert body["issuer"] == "Sở Công Thương Đắk Lắk"
    assert body["pdf_sha256"] == SHA
    assert response.headers["Cache-Control"] == "no-store"


def test_browser_gets_the_bilingual_page_with_values_escaped(stack: Stack, issued) -> None:
    response = stack.http.get(f"/verify/VN-TH-26-47-00001?code={CODE}", headers=BROWSER)

    page = response.body.decode()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Hợp lệ / Valid" in page
    assert "Krong Pac &lt;Coffee&gt; &amp; Co" in page
    assert "<Coffee>" not in page


def test_wrong_code_and_unknown_reference_get_the_same_not_found(stack: Stack, issued) -> None:
    answers = [
        stack.http.get("/verify/VN-TH-26-47-00001?code=guess", headers=JSON),
        stack.http.get("/verify/VN-TH-26-47-00002?code=guess", headers=JSON),
        stack.http.get("/verify/VN-TH-26-47-00001", headers=JSON),
        stack.http.get("/verify/nonsense?code=x", headers=JSON),
    ]

    bodies = [{k: v for k, v in json_body(r).items() if k != "correlation_id"} for r in answers]
    assert {r.status_code for r in answers} == {404}
    assert all(body == bodies[0] for body in bodies)
    pages = [
        stack.http.get(u, headers=BROWSER).body
        for u in ("/verify/VN-TH-26-47-00001?code=guess", "/verify/VN-TH-26-47-00009?code=x")
    ]
    assert pages[0] == pages[1]


def test_cancelled_and_test_certificates_say_so(stack: Stack, issued) -> None:
    deps = container()
    issued.change_status("VN-TH 26/47/00001", CertificateStatus.CANCELLED, CertificateStatus.VALID)
    test_reference = _issue(issued, deps.table, "d2", sandbox=True)

    cancelled = stack.http.get(f"/verify/VN-TH-26-47-00001?code={CODE}", headers=JSON)
    test = stack.http.get(f"/verify/{test_reference.replace(' ', '-').replace('/', '-')}"
                          f"?code={CODE}", headers=BROWSER)  # fmt: skip

    assert json_body(cancelled)["status"] == "cancelled"
    assert "Bản thử nghiệm" in test.body.decode()


def test_hash_route_says_whether_a_file_is_published(stack: Stack, issued) -> None:
    def check(sha256: str):
        return stack.http.post(
            "/verify/hash",
            body=json.dumps({"sha256": sha256}),
            headers={"Content-Type": "application/json"},
        )

    published, other, garbage = check(SHA.upper()), check("ef" * 32), check("xyz")

    assert published.status_code == 200
    assert json_body(published)["certificate"]["reference_number"] == "VN-TH 26/47/00001"
    assert other.status_code == 404
    assert garbage.status_code == 422


@pytest.mark.parametrize(("accept", "html"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("application/json", False),
    ("", False),
    ("application/json, text/html;q=0.5", False),
])  # fmt: skip
def test_browsers_are_told_apart_from_api_clients(accept: str, html: bool) -> None:
    assert prefers_html(accept) is html
