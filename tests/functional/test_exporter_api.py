import json
from datetime import date

import pytest

from chalicelib.wiring import container
from tests.functional.exporter_api import (
    DEPARTMENT_CODES,
    PDF,
    ExporterClient,
    department_of,
    ready_draft,
    seed_department,
)
from tests.stack import Stack, json_body
from tools.samples import SAMPLE_FILES, attachment_kinds, draft_body, load_sample, registration

OTHER_TAX_CODE = "0315429071"  # the cashew sample's trader


@pytest.fixture
def departments(stack: Stack) -> Stack:
    for code in DEPARTMENT_CODES.values():
        seed_department(code)
    return stack


def execution(stack: Stack, dossier_id: str, attempt: int = 1) -> dict:
    arn = stack.state_machine_arn.replace(":stateMachine:", ":execution:")
    return stack.client("stepfunctions").describe_execution(
        executionArn=f"{arn}:{dossier_id}-{attempt}"
    )


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_each_sample_is_registered_and_submitted_over_http(departments: Stack, name: str) -> None:
    exporter, dossier_id = ready_draft(departments, name)

    response = exporter.submit(dossier_id)

    assert response.status_code == 200, response.body
    submitted = json_body(response)
    assert submitted["status"] == "submitted"
    assert submitted["exporter"]["tax_code"] == exporter.tax_code
    assert {a["state"] for a in submitted["attachments"]} == {"received"}
    assert execution(departments, dossier_id)["name"] == f"{dossier_id}-1"


@pytest.mark.parametrize(
    ("fee_collection_live_from", "payment_required"),
    [(None, False), ("2027-01-01", False), ("2026-12-03", True)],
)
def test_submission_starts_the_state_machine_with_payment_only_once_fees_are_live(
    stack: Stack, fee_collection_live_from: str | None, payment_required: bool
) -> None:
    seed_department("DAK-LAK", fee_collection_live_from=fee_collection_live_from)
    exporter, dossier_id = ready_draft(stack)

    assert exporter.submit(dossier_id).status_code == 200

    document = json.loads(execution(stack, dossier_id)["input"])
    assert document["dossier_id"] == dossier_id
    assert document["attempt"] == 1
    assert document["payment_required"] is payment_required


def test_vj_sample_four_days_after_departure_is_issued_retroactively(departments: Stack) -> None:
    exporter, dossier_id = ready_draft(departments, "form-vj-shrimp-jp.json")

    submitted = json_body(exporter.submit(dossier_id))

    assert submitted["derived_remarks"] == ["issued_retroactively"]


def test_form_d_more_than_a_year_after_departure_is_refused_and_stays_a_draft(
    departments: Stack,
) -> None:
    exporter, dossier_id = ready_draft(departments)
    departments.clock.advance(days=400)

    response = exporter.submit(dossier_id)

    assert response.status_code == 422
    assert "more than 365 days after departure" in json_body(response)["detail"]
    assert json_body(exporter.get(dossier_id))["dossier"]["status"] == "draft"


def test_missing_department_is_refused_naming_it(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack)

    response = exporter.submit(dossier_id)

    assert response.status_code == 422
    assert json_body(response)["detail"] == "There is no issuing department DAK-LAK"


def test_department_not_live_or_not_issuing_the_form_is_refused_with_the_reason(
    stack: Stack,
) -> None:
    seed_department("DAK-LAK", state="suspended")
    exporter, dossier_id = ready_draft(stack)

    suspended = exporter.submit(dossier_id)
    seed_department("DAK-LAK", forms=["B"])
    not_issuing = exporter.submit(dossier_id)

    assert suspended.status_code == 422
    assert "DAK-LAK is suspended" in json_body(suspended)["detail"]
    assert not_issuing.status_code == 422
    assert "does not issue Form D" in json_body(not_issuing)["detail"]


def test_test_trader_submits_to_a_sandbox_department(stack: Stack) -> None:
    seed_department("SANDBOX-1", state="sandbox", forms=["D"])
    sample = load_sample("form-d-coffee-th.json")
    exporter = ExporterClient(stack, sample["exporter"]["tax_code"], test_trader=True)
    exporter.register(sample, test_trader=True)
    dossier_id = json_body(exporter.create(draft_body(sample, "SANDBOX-1")))["id"]
    for kind in attachment_kinds(sample):
        exporter.attach(dossier_id, kind)

    assert json_body(exporter.submit(dossier_id))["status"] == "submitted"


def test_a_body_claiming_a_test_trader_without_the_tokens_claim_is_refused(stack: Stack) -> None:
    seed_department("SANDBOX-1", state="sandbox", forms=["D"])
    sample = load_sample("form-d-coffee-th.json")
    exporter = ExporterClient(stack, sample["exporter"]["tax_code"], test_trader=False)

    claimed = exporter.register(sample, test_trader=True)
    profile = exporter.call("GET", f"/traders/{exporter.tax_code}")

    assert claimed.status_code == 403, claimed.body
    assert "test trader" in json_body(claimed)["detail"]
    assert profile.status_code == 404


def test_a_trader_registered_without_the_tokens_claim_cannot_use_a_sandbox(stack: Stack) -> None:
    seed_department("SANDBOX-1", state="sandbox", forms=["D"])
    sample = load_sample("form-d-coffee-th.json")
    exporter = ExporterClient(stack, sample["exporter"]["tax_code"], test_trader=False)
    assert exporter.register(sample).status_code == 201
    dossier_id = json_body(exporter.create(draft_body(sample, "SANDBOX-1")))["id"]
    for kind in attachment_kinds(sample):
        exporter.attach(dossier_id, kind)

    response = exporter.submit(dossier_id)

    assert response.status_code == 422, response.body
    assert json_body(exporter.call("GET", f"/traders/{exporter.tax_code}"))["test_trader"] is False


def test_submission_missing_a_required_attachment_names_it(departments: Stack) -> None:
    kinds = ["export_customs_declaration", "commercial_invoice", "transport_document"]
    exporter, dossier_id = ready_draft(departments, kinds=kinds)

    response = exporter.submit(dossier_id)

    assert response.status_code == 422
    assert "requires these attachments: origin_statement" in json_body(response)["detail"]


def test_document_marked_submitted_later_is_not_required(departments: Stack) -> None:
    kinds = ["export_customs_declaration", "commercial_invoice", "origin_statement"]
    exporter, dossier_id = ready_draft(departments, kinds=kinds)
    exporter.call(
        "PATCH", f"/dossiers/{dossier_id}", {"deferred_attachments": ["transport_document"]}
    )

    assert json_body(exporter.submit(dossier_id))["status"] == "submitted"


def test_upload_of_a_disallowed_type_or_size_is_refused_with_pointers(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])
    request = {
        "kind": "other",
        "filename": "x.exe",
        "content_type": "application/x-msdownload",
        "size": 11 * 1024 * 1024,
    }

    response = exporter.call("POST", f"/dossiers/{dossier_id}/attachments", request)

    assert response.status_code == 422
    pointers = [error["pointer"] for error in json_body(response)["errors"]]
    assert pointers == ["/content_type", "/size"]


def test_upload_form_carries_the_declared_type(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])

    response = exporter.attach(dossier_id, "commercial_invoice")

    form = json_body(response)
    assert response.status_code == 201
    assert form["fields"]["Content-Type"] == "application/pdf"
    assert form["fields"]["key"] == form["attachment"]["key"]


def test_another_traders_dossier_and_profile_answer_404(departments: Stack) -> None:
    owner, dossier_id = ready_draft(departments)
    other = ExporterClient(departments, OTHER_TAX_CODE)
    other.register(load_sample("form-b-cashew-ae.json"))

    responses = [
        other.get(dossier_id),
        other.call("PATCH", f"/dossiers/{dossier_id}", {"remarks": []}),
        other.submit(dossier_id),
        other.call("POST", f"/dossiers/{dossier_id}/clone"),
        other.call("POST", f"/dossiers/{dossier_id}/withdraw", {}),
        other.call("GET", f"/traders/{owner.tax_code}"),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert json_body(owner.get(dossier_id))["dossier"]["status"] == "draft"


def test_staff_read_dossiers_of_their_department_only(departments: Stack) -> None:
    _, dossier_id = ready_draft(departments)
    http = departments.http

    own = http.get(
        f"/dossiers/{dossier_id}", headers=departments.auth("specialist", department="DAK-LAK")
    )
    other = http.get(
        f"/dossiers/{dossier_id}", headers=departments.auth("leader", department="HO-CHI-MINH")
    )
    auditor = http.get(f"/dossiers/{dossier_id}", headers=departments.auth("auditor"))
    create = http.post(
        "/dossiers", headers=departments.auth("specialist", department="DAK-LAK"), body="{}"
    )

    assert [own.status_code, other.status_code, auditor.status_code] == [200, 404, 200]
    assert create.status_code == 403


def test_routes_need_a_token(stack: Stack) -> None:
    response = stack.http.get("/dossiers")

    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"


def test_unknown_fields_are_rejected_with_pointers_and_nothing_is_written(stack: Stack) -> None:
    sample = load_sample("form-d-coffee-th.json")
    exporter = ExporterClient(stack, sample["exporter"]["tax_code"])
    exporter.register(sample)
    body = draft_body(sample, "DAK-LAK")
    body["lines"][0]["colour"] = "green"
    body["lines"][0]["hs_code"] = "0901"

    response = exporter.create(body)

    assert response.status_code == 422
    pointers = {error["pointer"] for error in json_body(response)["errors"]}
    assert pointers == {"/lines/0/colour", "/lines/0/hs_code"}
    assert json_body(exporter.call("GET", "/dossiers"))["items"] == []


def test_history_lists_every_transition_with_actor_and_time(departments: Stack) -> None:
    exporter, dossier_id = ready_draft(departments)
    exporter.submit(dossier_id)
    departments.clock.advance(hours=1)
    exporter.call("POST", f"/dossiers/{dossier_id}/withdraw", {"reason": "wrong consignee"})

    history = json_body(exporter.get(dossier_id))["history"]

    assert [(e["from_status"], e["to_status"]) for e in history] == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "withdrawn"),
    ]
    assert history[-1]["reason"] == "wrong consignee"
    assert all(e["actor"].startswith("exporter:") and e["at"] for e in history)


def test_withdrawing_twice_is_a_conflict(departments: Stack) -> None:
    exporter, dossier_id = ready_draft(departments)
    path = f"/dossiers/{dossier_id}/withdraw"

    first = exporter.call("POST", path, {})
    again = exporter.call("POST", path, {})

    assert first.status_code == 200
    assert again.status_code == 409


def test_csv_import_adds_all_rows_or_reports_every_bad_row(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])
    path = f"/dossiers/{dossier_id}/lines/csv"
    header = (
        "hs_code,description,packages,marks_and_numbers,quantity,unit,gross_weight_kg,"
        "fob_amount,fob_currency,origin_criterion\n"
    )
    good = "0901.11,Robusta coffee beans,20 bags,N/M,1200,KGM,1210,2640,USD,WO\n"
    bad = "09,Coffee,1 bag,,-5,KGM,10,20,USD,WO\n"
    csv_headers = {"Content-Type": "text/csv"}

    refused = exporter.call("POST", path, header + good + bad, csv_headers)
    accepted = exporter.call("POST", path, header + good + good, csv_headers)

    assert refused.status_code == 422
    # Rows are numbered as in the file, the header being row 1.
    assert {e["pointer"].split("/")[2] for e in json_body(refused)["errors"]} == {"3"}
    assert accepted.status_code == 200, accepted.body
    assert len(json_body(accepted)["lines"]) == 3


def test_csv_import_needs_text_csv(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])

    response = exporter.call("POST", f"/dossiers/{dossier_id}/lines/csv", {"csv": "x"})

    assert response.status_code == 415


def test_goods_lines_are_added_and_the_draft_updated(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])
    line = json_body(exporter.get(dossier_id))["dossier"]["lines"][0]

    added = exporter.call("POST", f"/dossiers/{dossier_id}/lines", {"lines": [line]})
    updated = exporter.call("PATCH", f"/dossiers/{dossier_id}", {"remarks": ["exhibition"]})

    assert len(json_body(added)["lines"]) == 2
    assert json_body(updated)["remarks"] == ["exhibition"]
    assert json_body(updated)["version"] == 3


def test_clone_makes_a_new_draft_without_attachments(departments: Stack) -> None:
    exporter, dossier_id = ready_draft(departments)
    exporter.submit(dossier_id)

    response = exporter.call("POST", f"/dossiers/{dossier_id}/clone")

    clone = json_body(response)
    assert response.status_code == 201
    assert clone["id"] != dossier_id
    assert (clone["status"], clone["cloned_from"], clone["attachments"]) == (
        "draft",
        dossier_id,
        [],
    )


def test_listing_is_newest_first_cursor_paged_and_filtered(departments: Stack) -> None:
    exporter, first = ready_draft(departments)
    body = draft_body(load_sample("form-d-coffee-th.json"), "DAK-LAK")
    created = [first]
    for _ in range(2):
        departments.clock.advance(minutes=1)
        created.append(json_body(exporter.create(body))["id"])
    exporter.call("POST", f"/dossiers/{created[1]}/withdraw", {})

    page = json_body(exporter.call("GET", "/dossiers?limit=2"))
    rest = json_body(exporter.call("GET", f"/dossiers?limit=2&cursor={page['next_cursor']}"))
    withdrawn = json_body(exporter.call("GET", "/dossiers?status=withdrawn&form=D"))
    bad = exporter.call("GET", "/dossiers?limit=1000")

    assert [d["id"] for d in page["items"] + rest["items"]] == created[::-1]
    assert [d["id"] for d in withdrawn["items"]] == [created[1]]
    assert bad.status_code == 422
    assert json_body(bad)["errors"][0]["pointer"] == "/query/limit"


def test_trader_profile_is_read_updated_and_shows_its_renewal(stack: Stack) -> None:
    sample = load_sample("form-b-cashew-ae.json")
    exporter = ExporterClient(stack, sample["exporter"]["tax_code"])
    registered = json_body(exporter.register(sample))
    stack.clock.advance(days=30)
    details = {k: v for k, v in registered.items() if k in UPDATABLE}
    details["address"] = "12 Nguyen Hue, District 1, Ho Chi Minh City"

    updated = exporter.call("PUT", f"/traders/{exporter.tax_code}", details)
    read = exporter.call("GET", f"/traders/{exporter.tax_code}")

    assert registered["renewal_due_on"] == "2028-12-03"
    assert json_body(updated)["renewal_due_on"] == "2029-01-02"
    assert json_body(read)["address"] == details["address"]
    assert json_body(read)["version"] == 2


UPDATABLE = {"name_vi", "name_en", "address", "legal_representative", "signatories", "factories"}


def test_exporter_registers_only_its_own_valid_tax_code_once(stack: Stack) -> None:
    sample = load_sample("form-b-cashew-ae.json")
    exporter = ExporterClient(stack, sample["exporter"]["tax_code"])
    stranger = ExporterClient(stack, "0101234567")
    bad_digit = {**registration(sample).model_dump(mode="json"), "tax_code": "0315429072"}

    assert stranger.register(sample).status_code == 404
    invalid = ExporterClient(stack, "0315429072").call("POST", "/traders", bad_digit)
    assert invalid.status_code == 422
    assert json_body(invalid)["errors"][0]["pointer"] == "/tax_code"
    assert exporter.register(sample).status_code == 201
    assert exporter.register(sample).status_code == 409


def test_overdue_profile_blocks_submission(departments: Stack) -> None:
    exporter, dossier_id = ready_draft(departments)
    departments.clock.advance(days=2 * 366)

    response = exporter.submit(dossier_id)

    assert response.status_code == 422
    assert "due for renewal" in json_body(response)["detail"]


def test_openapi_document_and_api_page_are_public_and_list_every_route(stack: Stack) -> None:
    from chalicelib.handlers.api.routing import ROUTES

    document = stack.http.get("/openapi.json")
    page = stack.http.get("/docs")

    assert document.status_code == 200
    paths = json_body(document)["paths"]
    assert {(p, m.upper()) for p, ops in paths.items() for m in ops} == {
        (r.path, r.method) for r in ROUTES
    }
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert b"/dossiers/{dossier_id}/submit" in page.body


def test_stored_attachment_content_is_checked_at_submission(departments: Stack) -> None:
    kinds = ["export_customs_declaration", "transport_document", "origin_statement"]
    exporter, dossier_id = ready_draft(departments, kinds=kinds)
    exporter.attach(dossier_id, "commercial_invoice", content=b"\x89PNG\r\n\x1a\n" + PDF)

    response = exporter.submit(dossier_id)

    assert response.status_code == 422
    assert "not the declared application/pdf" in json_body(response)["detail"]


def test_department_codes_cover_every_sample() -> None:
    for name in SAMPLE_FILES:
        assert department_of(load_sample(name))


def test_department_stored_by_the_department_registry_is_read(stack: Stack) -> None:
    from chalicelib.adapters.department_store import DepartmentStore
    from chalicelib.domain.departments import DepartmentEvent, DepartmentState, FeeAccount
    from chalicelib.domain.registry import registry_unit

    department = (
        registry_unit("DAK-LAK")
        .as_department()
        .model_copy(
            update={
                "state": DepartmentState.LIVE,
                "allowed_forms": ("D",),
                "fee_collection_from": date(2026, 12, 1),
                "fee_account": FeeAccount(
                    bank_bin="970407",
                    account_number="19036600001111",
                    account_name="SO CONG THUONG DAK LAK",
                ),
            }
        )
    )
    event = DepartmentEvent(
        department="DAK-LAK", at=stack.clock.now, actor="ops", action="seeded", version=0
    )
    DepartmentStore(container().table).create(department, event)
    exporter, dossier_id = ready_draft(stack)

    assert json_body(exporter.submit(dossier_id))["status"] == "submitted"
    assert json.loads(execution(stack, dossier_id)["input"])["payment_required"] is True


def test_the_51st_attachment_is_refused_with_its_pointer_and_nothing_written(
    stack: Stack,
) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])
    request = {"kind": "other", "filename": "letter.pdf", "content_type": "application/pdf",
               "size": 2000}  # fmt: skip
    for _ in range(50):
        assert (
            exporter.call("POST", f"/dossiers/{dossier_id}/attachments", request).status_code == 201
        )
    before = json_body(exporter.get(dossier_id))["dossier"]

    response = exporter.call("POST", f"/dossiers/{dossier_id}/attachments", request)

    assert response.status_code == 422, response.body
    assert [e["pointer"] for e in json_body(response)["errors"]] == ["/attachments"]
    assert json_body(exporter.get(dossier_id))["dossier"] == before


def test_goods_lines_past_500_are_refused_with_their_pointer_by_json_and_by_csv(
    stack: Stack,
) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])
    line = json_body(exporter.get(dossier_id))["dossier"]["lines"][0]
    assert (
        exporter.call("POST", f"/dossiers/{dossier_id}/lines", {"lines": [line] * 499}).status_code
        == 200
    )
    header = "hs_code,description,packages,quantity,unit,gross_weight_kg,fob_amount,fob_currency"
    row = f'{line["hs_code"]},"{line["description"]}",1,1,KGM,1,1,USD'
    before = json_body(exporter.get(dossier_id))["dossier"]

    by_json = exporter.call("POST", f"/dossiers/{dossier_id}/lines", {"lines": [line]})
    by_csv = exporter.call(
        "POST",
        f"/dossiers/{dossier_id}/lines/csv",
        "\n".join([header, row, row]) + "\n",
        {"Content-Type": "text/csv"},
    )

    assert (by_json.status_code, by_csv.status_code) == (422, 422), (by_json.body, by_csv.body)
    assert [e["pointer"] for e in json_body(by_json)["errors"]] == ["/lines"]
    assert [e["pointer"] for e in json_body(by_csv)["errors"]] == ["/lines"]
    assert json_body(exporter.get(dossier_id))["dossier"] == before
