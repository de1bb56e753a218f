from chalicelib.adapters.dossier_store import FILTERED_QUERIES_PER_PAGE
from chalicelib.domain.dossiers import DraftRequest
from chalicelib.services.idempotency import request_hash
from chalicelib.wiring import container
from tests.functional.exporter_api import (
    ExporterClient,
    dynamodb_calls,
    ready_draft,
    seed_department,
)
from tests.stack import Stack, json_body
from tools.samples import attachment_kinds, draft_body, load_sample, registration

SAMPLE = "form-d-coffee-th.json"


def test_every_route_stays_within_its_dynamodb_call_budget(stack: Stack) -> None:
    seed_department("DAK-LAK")
    sample = load_sample(SAMPLE)
    exporter = ExporterClient(stack, sample["exporter"]["tax_code"])
    counter = dynamodb_calls()
    used: dict[str, int] = {}

    def measure(route: str, response, expected_status: int = 200) -> dict:
        assert response.status_code == expected_status, (route, response.body)
        used[route] = counter.total
        assert "Scan" not in counter.calls, route
        counter.reset()
        return json_body(response)

    measure("register", exporter.register(sample), 201)
    measure("read profile", exporter.call("GET", f"/traders/{exporter.tax_code}"))
    details = registration(sample).model_dump(mode="json", exclude={"tax_code", "test_trader"})
    measure("update profile", exporter.call("PUT", f"/traders/{exporter.tax_code}", details))
    body = draft_body(sample, "DAK-LAK")
    dossier_id = measure("create", exporter.create(body, key="create-1"), 201)["id"]
    line = body["lines"][0]
    measure("add lines", exporter.call("POST", f"/dossiers/{dossier_id}/lines", {"lines": [line]}))
    measure("update", exporter.call("PATCH", f"/dossiers/{dossier_id}", {"lines": [line]}))
    for kind in attachment_kinds(sample):
        measure("upload url", exporter.attach(dossier_id, kind), 201)
    measure("get draft", exporter.get(dossier_id))
    measure("submit", exporter.submit(dossier_id))
    measure("get", exporter.get(dossier_id))
    clone = exporter.call("POST", f"/dossiers/{dossier_id}/clone", headers={"Idempotency-Key": "c"})
    clone_id = measure("clone", clone, 201)["id"]
    measure("withdraw", exporter.call("POST", f"/dossiers/{clone_id}/withdraw", {}))
    page = measure("list page 1", exporter.call("GET", "/dossiers?limit=1"))
    cursor = page["next_cursor"]
    measure("list page 2", exporter.call("GET", f"/dossiers?limit=1&cursor={cursor}"))
    filtered = measure("list filtered", exporter.call("GET", "/dossiers?limit=1&status=submitted"))

    budgets = {
        "register": 3,
        "read profile": 1,
        "update profile": 2,
        "create": 3,
        "add lines": 2,
        "update": 2,
        "upload url": 2,
        "submit": 5,
        "get draft": 1,
        "get": 2,
        "clone": 4,
        "withdraw": 2,
        "list page 1": 1,
        "list page 2": 1,
        # A filtered page reads on until full: one query per batch of dossiers, bounded.
        "list filtered": FILTERED_QUERIES_PER_PAGE,
    }
    over = {route: n for route, n in used.items() if n > budgets[route]}
    assert not over, used
    assert used["list page 1"] == used["list page 2"] == 1
    assert [d["id"] for d in filtered["items"]] == [dossier_id]  # read past the newer clone


def test_retry_with_the_same_key_gets_the_first_response_and_creates_nothing(
    stack: Stack,
) -> None:
    exporter, _ = ready_draft(stack, kinds=[])
    body = draft_body(load_sample(SAMPLE), "DAK-LAK")

    first = exporter.create(body, key="order-7")
    stack.clock.advance(hours=23)
    again = exporter.create(body, key="order-7")

    assert (first.status_code, again.status_code) == (201, 201)
    assert json_body(again) == json_body(first)
    listed = json_body(exporter.call("GET", "/dossiers"))["items"]
    assert len(listed) == 2  # the ready draft and one created under the key


def test_same_key_with_a_different_body_is_refused(stack: Stack) -> None:
    exporter, _ = ready_draft(stack, kinds=[])
    body = draft_body(load_sample(SAMPLE), "DAK-LAK")
    exporter.create(body, key="order-7")

    response = exporter.create({**body, "remarks": ["exhibition"]}, key="order-7")

    assert response.status_code == 422
    assert "different request body" in json_body(response)["detail"]


def test_retry_while_the_first_still_runs_is_a_conflict(stack: Stack) -> None:
    exporter, _ = ready_draft(stack, kinds=[])
    body = draft_body(load_sample(SAMPLE), "DAK-LAK")
    fingerprint = request_hash(
        "POST", "/dossiers", DraftRequest.model_validate(body).model_dump(mode="json")
    )
    scope = f"exporter:{exporter.tax_code}"
    container().idempotency_store.claim(scope, "order-7", fingerprint, stack.clock.now)

    response = exporter.create(body, key="order-7")

    assert response.status_code == 409
    assert "still running" in json_body(response)["detail"]


def test_key_is_forgotten_after_24_hours(stack: Stack) -> None:
    exporter, _ = ready_draft(stack, kinds=[])
    body = draft_body(load_sample(SAMPLE), "DAK-LAK")
    first = json_body(exporter.create(body, key="order-7"))
    stack.clock.advance(hours=24, seconds=1)

    again = json_body(exporter.create(body, key="order-7"))

    assert again["id"] != first["id"]


def test_refused_request_releases_its_key_for_a_corrected_retry(stack: Stack) -> None:
    exporter, _ = ready_draft(stack, kinds=[])
    body = {**draft_body(load_sample(SAMPLE), "DAK-LAK"), "remarks": ["issued_retroactively"]}

    refused = exporter.create(body, key="order-7")
    fixed = exporter.create({**body, "remarks": []}, key="order-7")

    assert refused.status_code == 422
    assert fixed.status_code == 201


def test_invalid_idempotency_key_is_refused_with_its_pointer(stack: Stack) -> None:
    exporter, _ = ready_draft(stack, kinds=[])

    response = exporter.create(draft_body(load_sample(SAMPLE), "DAK-LAK"), key="x" * 101)

    assert response.status_code == 422
    assert json_body(response)["errors"][0]["pointer"] == "/headers/Idempotency-Key"


def test_registration_replays_under_its_key(stack: Stack) -> None:
    sample = load_sample(SAMPLE)
    exporter = ExporterClient(stack, sample["exporter"]["tax_code"])
    body = registration(sample).model_dump(mode="json")
    headers = {"Idempotency-Key": "register-1"}

    first = exporter.call("POST", "/traders", body, headers)
    again = exporter.call("POST", "/traders", body, headers)
    without_key = exporter.call("POST", "/traders", body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert json_body(again) == json_body(first)
    assert without_key.status_code == 409


def _goods_csv(line: dict) -> str:
    header = "hs_code,description,packages,quantity,unit,gross_weight_kg,fob_amount,fob_currency"
    return f'{header}\n{line["hs_code"]},"{line["description"]}",1,1,KGM,1,1,USD\n'


def test_a_retried_lines_post_adds_the_lines_once(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])
    line = json_body(exporter.get(dossier_id))["dossier"]["lines"][0]
    path, key = f"/dossiers/{dossier_id}/lines", {"Idempotency-Key": "lines-1"}

    first = exporter.call("POST", path, {"lines": [line]}, key)
    stack.clock.advance(hours=23)
    again = exporter.call("POST", path, {"lines": [line]}, key)

    assert (first.status_code, again.status_code) == (200, 200)
    assert json_body(again) == json_body(first)
    assert len(json_body(exporter.get(dossier_id))["dossier"]["lines"]) == 2


def test_a_retried_csv_import_adds_its_rows_once(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])
    line = json_body(exporter.get(dossier_id))["dossier"]["lines"][0]
    path = f"/dossiers/{dossier_id}/lines/csv"
    headers = {"Content-Type": "text/csv", "Idempotency-Key": "csv-1"}

    first = exporter.call("POST", path, _goods_csv(line), headers)
    again = exporter.call("POST", path, _goods_csv(line), headers)
    other = exporter.call("POST", path, _goods_csv({**line, "description": "Other"}), headers)

    assert (first.status_code, again.status_code) == (200, 200), first.body
    assert json_body(again) == json_body(first)
    assert other.status_code == 422
    assert "different request body" in json_body(other)["detail"]
    assert len(json_body(exporter.get(dossier_id))["dossier"]["lines"]) == 2


def test_a_retried_attachment_request_records_one_attachment(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])
    path, key = f"/dossiers/{dossier_id}/attachments", {"Idempotency-Key": "attach-1"}
    request = {"kind": "other", "filename": "letter.pdf", "content_type": "application/pdf",
               "size": 2000}  # fmt: skip

    first = exporter.call("POST", path, request, key)
    again = exporter.call("POST", path, request, key)
    other = exporter.call("POST", path, {**request, "filename": "other.pdf"}, key)

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert json_body(again) == json_body(first)
    assert len(json_body(exporter.get(dossier_id))["dossier"]["attachments"]) == 1


def test_a_lines_post_retried_while_the_first_still_runs_is_a_conflict(stack: Stack) -> None:
    exporter, dossier_id = ready_draft(stack, kinds=[])
    line = json_body(exporter.get(dossier_id))["dossier"]["lines"][0]
    path = f"/dossiers/{dossier_id}/lines"
    fingerprint = request_hash("POST", path, {"lines": [line]})
    scope = f"exporter:{exporter.tax_code}"
    container().idempotency_store.claim(scope, "lines-1", fingerprint, stack.clock.now)

    response = exporter.call("POST", path, {"lines": [line]}, {"Idempotency-Key": "lines-1"})

    assert response.status_code == 409
    assert "still running" in json_body(response)["detail"]
    assert len(json_body(exporter.get(dossier_id))["dossier"]["lines"]) == 1
