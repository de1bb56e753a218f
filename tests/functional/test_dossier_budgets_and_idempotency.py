from datetime import timedelta

import pytest

from chalicelib.adapters.idempotency_store import StoredResponse
from chalicelib.domain.attachments import UploadRequest
from chalicelib.domain.dossiers import DraftRequest
from chalicelib.domain.errors import ConflictError, ValidationFailedError
from chalicelib.domain.forms import catalogue
from chalicelib.services.idempotency import request_hash, run_once
from tests.functional.dossier_stack import build_stack
from tests.isolated_aws import isolated_aws
from tools.samples import attachment_kinds, draft_body, draft_request, load_sample, registration

SAMPLE = "form-d-coffee-th.json"
TAX_CODE = "6002837411"


@pytest.fixture
def stack():
    with isolated_aws():
        built = build_stack()
        built.departments.records["DL"] = {
            "state": "live",
            "allowed_forms": [f.code for f in catalogue().forms],
        }
        built.traders.register(registration(load_sample(SAMPLE)), TAX_CODE)
        yield built


def create_idempotently(stack, key, body):
    def action():
        dossier = stack.dossiers.create(TAX_CODE, "exporter", draft_request_of(body))
        return StoredResponse(201, {"id": dossier.id})

    fingerprint = request_hash("POST", "/dossiers", body)
    return run_once(
        stack.idempotency, f"exporter:{TAX_CODE}", key, fingerprint, stack.clock.now, action
    )


def draft_request_of(body):
    return DraftRequest.model_validate(body)


def submittable(stack):
    dossier = stack.dossiers.create(TAX_CODE, "e", draft_request(load_sample(SAMPLE), "DL"))
    for kind in attachment_kinds(load_sample(SAMPLE)):
        upload = stack.dossiers.request_upload(TAX_CODE, dossier.id, _upload(kind))
        stack.s3.put_object(
            Bucket="coissuer-documents-test", Key=upload.attachment.key, Body=b"%PDF-1.7\n"
        )
    return dossier


def _upload(kind):
    return UploadRequest(kind=kind, filename="f.pdf", content_type="application/pdf", size=9)


def test_create_with_idempotency_key_stays_within_three_dynamodb_calls(stack):
    stack.counter.reset()

    create_idempotently(stack, "key-1", draft_body(load_sample(SAMPLE), "DL"))

    assert stack.counter.total <= 3, stack.counter.calls


def test_submit_stays_within_five_dynamodb_calls(stack):
    dossier = submittable(stack)
    stack.counter.reset()

    stack.dossiers.submit(TAX_CODE, "e", dossier.id)

    # The fake directory makes no call; the real one reads one department item.
    assert stack.counter.total + 1 <= 5, stack.counter.calls


def test_get_with_history_stays_within_two_dynamodb_calls(stack):
    dossier = submittable(stack)
    stack.dossiers.submit(TAX_CODE, "e", dossier.id)
    stack.counter.reset()

    stack.dossiers.get(TAX_CODE, dossier.id)

    assert stack.counter.total <= 2, stack.counter.calls
    assert "Scan" not in stack.counter.calls


def test_listing_makes_one_dynamodb_call_per_page(stack):
    for _ in range(3):
        stack.dossiers.create(TAX_CODE, "e", draft_request(load_sample(SAMPLE), "DL"))
    stack.counter.reset()

    _page, cursor = stack.dossiers.list_mine(TAX_CODE, limit=2)
    stack.dossiers.list_mine(TAX_CODE, limit=2, cursor=cursor)

    assert stack.counter.calls == {"Query": 2}


def test_retry_with_the_same_key_gets_the_first_response_and_creates_nothing(stack):
    body = draft_body(load_sample(SAMPLE), "DL")
    first = create_idempotently(stack, "key-1", body)
    stack.counter.reset()

    again = create_idempotently(stack, "key-1", body)

    assert again == first
    assert stack.counter.total == 1
    assert len(stack.dossiers.list_mine(TAX_CODE, limit=10)[0]) == 1


def test_same_key_with_a_different_body_is_refused(stack):
    body = draft_body(load_sample(SAMPLE), "DL")
    create_idempotently(stack, "key-1", body)

    with pytest.raises(ValidationFailedError, match="different request body"):
        create_idempotently(stack, "key-1", {**body, "remarks": ["exhibition"]})


def test_retry_while_the_first_still_runs_is_a_conflict(stack):
    body = draft_body(load_sample(SAMPLE), "DL")
    fingerprint = request_hash("POST", "/dossiers", body)
    stack.idempotency.claim("exporter:x", "key-1", fingerprint, stack.clock.now)

    with pytest.raises(ConflictError, match="still running"):
        stack.idempotency.claim("exporter:x", "key-1", fingerprint, stack.clock.now)


def test_key_is_forgotten_after_24_hours(stack):
    body = draft_body(load_sample(SAMPLE), "DL")
    first = create_idempotently(stack, "key-1", body)
    stack.clock.now += timedelta(hours=24, seconds=1)

    again = create_idempotently(stack, "key-1", body)

    assert again.body["id"] != first.body["id"]


def test_refused_request_releases_its_key(stack):
    body = {**draft_body(load_sample(SAMPLE), "DL"), "remarks": ["issued_retroactively"]}
    with pytest.raises(ValidationFailedError):
        create_idempotently(stack, "key-1", body)

    fixed = {**body, "remarks": []}
    assert create_idempotently(stack, "key-1", fixed).status_code == 201
