from datetime import timedelta

import pytest

from chalicelib.adapters.dossier_store import FILTERED_QUERIES_PER_PAGE, DossierStore
from chalicelib.domain.attachments import UploadRequest
from chalicelib.domain.dossiers import DossierUpdate, Status, transition
from chalicelib.domain.errors import (
    ConflictError,
    NotFoundError,
    RuleViolationError,
    ValidationFailedError,
)
from chalicelib.domain.forms import catalogue
from chalicelib.domain.traders import TraderDetails
from tests.functional.dossier_stack import build_stack
from tests.isolated_aws import isolated_aws
from tools.samples import (
    SAMPLE_FILES,
    attachment_kinds,
    draft_request,
    load_sample,
    registration,
    simple_pdf,
)

CONTENT = {
    "application/pdf": simple_pdf("commercial invoice"),
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
}
ALL_FORMS = [form.code for form in catalogue().forms]


@pytest.fixture
def stack():
    with isolated_aws():
        built = build_stack()
        for code in ("DL", "HCM", "HP", "CM"):
            built.departments.records[code] = {"state": "live", "allowed_forms": ALL_FORMS}
        yield built


def register(stack, name, test_trader=False):
    sample = load_sample(name)
    stack.traders.register(
        registration(sample, test_trader), sample["exporter"]["tax_code"], test_trader=test_trader
    )
    return sample


def attach(stack, tax_code, dossier_id, kind, content_type="application/pdf", body=None):
    upload = stack.dossiers.request_upload(
        tax_code,
        dossier_id,
        UploadRequest(kind=kind, filename=f"{kind}.pdf", content_type=content_type, size=2000),
    )
    stack.s3.put_object(
        Bucket=stack.bucket_name,
        Key=upload.attachment.key,
        Body=body if body is not None else CONTENT[content_type],
    )
    return upload


def ready_draft(stack, name="form-d-coffee-th.json", department="DL", kinds=None):
    sample = register(stack, name)
    tax_code = sample["exporter"]["tax_code"]
    dossier = stack.dossiers.create(
        tax_code, f"exporter:{tax_code}", draft_request(sample, department)
    )
    for kind in kinds if kinds is not None else attachment_kinds(sample):
        attach(stack, tax_code, dossier.id, kind)
    return tax_code, dossier


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_each_sample_registers_and_submits(stack, name):
    tax_code, dossier = ready_draft(stack, name, department="HP")

    submitted = stack.dossiers.submit(tax_code, f"exporter:{tax_code}", dossier.id)

    assert submitted.status == Status.SUBMITTED
    assert stack.workflow.started == [(dossier.id, 1)]
    assert submitted.exporter.tax_code == tax_code
    assert all(a.state == "received" for a in submitted.attachments)


def test_vj_sample_four_days_after_departure_is_marked_issued_retroactively(stack):
    tax_code, dossier = ready_draft(stack, "form-vj-shrimp-jp.json", department="CM")

    submitted = stack.dossiers.submit(tax_code, "exporter", dossier.id)

    assert submitted.derived_remarks == ["issued_retroactively"]


def test_form_d_more_than_a_year_after_departure_is_refused_and_nothing_is_written(stack):
    tax_code, dossier = ready_draft(stack)
    stack.clock.now += timedelta(days=400)

    with pytest.raises(RuleViolationError, match="more than 365 days after departure"):
        stack.dossiers.submit(tax_code, "exporter", dossier.id)

    assert stack.store.get_dossier(dossier.id).status == Status.DRAFT
    assert stack.workflow.started == []


def test_submission_missing_a_required_attachment_names_it(stack):
    kinds = ["export_customs_declaration", "commercial_invoice", "transport_document"]
    tax_code, dossier = ready_draft(stack, kinds=kinds)

    with pytest.raises(RuleViolationError, match="requires these attachments: origin_statement"):
        stack.dossiers.submit(tax_code, "exporter", dossier.id)


def test_deferred_transport_document_may_be_submitted_later(stack):
    kinds = ["export_customs_declaration", "commercial_invoice", "origin_statement"]
    tax_code, dossier = ready_draft(stack, kinds=kinds)
    stack.dossiers.update(
        tax_code, dossier.id, DossierUpdate(deferred_attachments=["transport_document"])
    )

    assert stack.dossiers.submit(tax_code, "exporter", dossier.id).status == Status.SUBMITTED


def test_upload_whose_content_is_not_what_it_claims_is_rejected_at_submission(stack):
    kinds = ["export_customs_declaration", "transport_document", "origin_statement"]
    tax_code, dossier = ready_draft(stack, kinds=kinds)
    attach(stack, tax_code, dossier.id, "commercial_invoice", body=CONTENT["image/png"])

    with pytest.raises(RuleViolationError, match="not the declared application/pdf"):
        stack.dossiers.submit(tax_code, "exporter", dossier.id)


def test_upload_url_carries_size_and_type_conditions(stack):
    tax_code, dossier = ready_draft(stack, kinds=[])

    upload = attach(stack, tax_code, dossier.id, "other")

    assert upload.fields["Content-Type"] == "application/pdf"
    assert upload.fields["key"] == upload.attachment.key
    assert "policy" in upload.fields


def test_unsupported_upload_type_is_refused_with_pointer(stack):
    tax_code, dossier = ready_draft(stack, kinds=[])

    with pytest.raises(ValidationFailedError) as caught:
        stack.dossiers.request_upload(
            tax_code,
            dossier.id,
            UploadRequest(
                kind="other", filename="x.exe", content_type="application/x-msdownload", size=5
            ),
        )

    assert [p.pointer for p in caught.value.problems] == ["/content_type"]


def test_overdue_profile_blocks_submission(stack):
    tax_code, dossier = ready_draft(stack)
    stack.clock.now += timedelta(days=2 * 366)

    with pytest.raises(RuleViolationError, match="due for renewal"):
        stack.dossiers.submit(tax_code, "exporter", dossier.id)


def test_department_not_live_or_not_issuing_the_form_refuses_with_reason(stack):
    tax_code, dossier = ready_draft(stack)
    stack.departments.records["DL"] = {"state": "sandbox", "allowed_forms": ALL_FORMS}

    with pytest.raises(RuleViolationError, match="DL is sandbox"):
        stack.dossiers.submit(tax_code, "exporter", dossier.id)

    stack.departments.records["DL"] = {"state": "live", "allowed_forms": ["B"]}
    with pytest.raises(RuleViolationError, match="does not issue Form D"):
        stack.dossiers.submit(tax_code, "exporter", dossier.id)


def test_test_trader_submits_to_a_sandbox_department(stack):
    sample = register(stack, "form-d-coffee-th.json", test_trader=True)
    tax_code = sample["exporter"]["tax_code"]
    stack.departments.records["SB"] = {"state": "sandbox", "allowed_forms": ["D"]}
    dossier = stack.dossiers.create(tax_code, "exporter", draft_request(sample, "SB"))
    for kind in attachment_kinds(sample):
        attach(stack, tax_code, dossier.id, kind)

    assert stack.dossiers.submit(tax_code, "exporter", dossier.id).status == Status.SUBMITTED


def test_another_traders_dossier_is_not_found(stack):
    _, dossier = ready_draft(stack)
    register(stack, "form-b-cashew-ae.json")

    with pytest.raises(NotFoundError):
        stack.dossiers.get("0315429071", dossier.id)
    with pytest.raises(NotFoundError):
        stack.dossiers.submit("0315429071", "exporter", dossier.id)


def test_creating_a_dossier_without_a_trader_profile_is_refused(stack):
    sample = load_sample("form-d-coffee-th.json")

    with pytest.raises(NotFoundError, match="Register the trader profile"):
        stack.dossiers.create("6002837411", "exporter", draft_request(sample, "DL"))


def test_history_lists_every_transition_with_actor_and_time(stack):
    tax_code, dossier = ready_draft(stack)
    stack.dossiers.submit(tax_code, "exporter:6002837411", dossier.id)
    stack.clock.now += timedelta(minutes=5)
    stack.dossiers.withdraw(tax_code, "exporter:6002837411", dossier.id, "buyer cancelled")

    current, history = stack.dossiers.get(tax_code, dossier.id)

    assert current.status == Status.WITHDRAWN
    assert [(e.from_status, e.to_status) for e in history] == [
        (None, Status.DRAFT),
        (Status.DRAFT, Status.SUBMITTED),
        (Status.SUBMITTED, Status.WITHDRAWN),
    ]
    assert history[-1].reason == "buyer cancelled"
    assert history[-1].actor == "exporter:6002837411"


def test_withdraw_after_review_started_is_refused(stack):
    tax_code, dossier = ready_draft(stack)
    submitted = stack.dossiers.submit(tax_code, "exporter", dossier.id)
    reviewed, event = transition(submitted, Status.UNDER_REVIEW, "wf", "", stack.clock.now)
    stack.store.save_dossier(reviewed, submitted.version, [event])

    with pytest.raises(ConflictError, match="only before review"):
        stack.dossiers.withdraw(tax_code, "exporter", dossier.id, "")


def test_stale_version_write_is_a_conflict(stack):
    tax_code, dossier = ready_draft(stack, kinds=[])
    stack.dossiers.update(tax_code, dossier.id, DossierUpdate(remarks=["exhibition"]))

    with pytest.raises(ConflictError):
        stack.store.save_dossier(dossier.model_copy(update={"version": 2}), dossier.version)


def test_repeated_submit_restarts_the_same_workflow_attempt_without_a_new_event(stack):
    tax_code, dossier = ready_draft(stack)
    stack.dossiers.submit(tax_code, "exporter", dossier.id)

    stack.dossiers.submit(tax_code, "exporter", dossier.id)

    assert stack.workflow.started == [(dossier.id, 1), (dossier.id, 1)]
    assert len(stack.dossiers.get(tax_code, dossier.id)[1]) == 2


def test_csv_import_adds_all_rows_or_reports_every_bad_row(stack):
    tax_code, dossier = ready_draft(stack, "form-e-footwear-cn.json", department="HP", kinds=[])
    header = "hs_code,description,packages,quantity,unit,fob_amount,fob_currency,origin_criterion\n"
    bad = (
        header + "6403.99,Shoes,10 cartons,120,PR,100,USD,CTH\n6404,Shoes,1 carton,1,PR,1,USD,SP\n"
    )

    with pytest.raises(ValidationFailedError) as caught:
        stack.dossiers.import_lines_csv(tax_code, dossier.id, bad)
    assert [p.pointer for p in caught.value.problems] == ["/rows/3/hs_code"]
    assert len(stack.store.get_dossier(dossier.id).lines) == 3

    good = header + "6403.99,Shoes,10 cartons,120,PR,100,USD,CTH\n"
    assert len(stack.dossiers.import_lines_csv(tax_code, dossier.id, good).lines) == 4


def test_clone_makes_a_new_draft_of_the_callers_dossier(stack):
    tax_code, dossier = ready_draft(stack)
    stack.dossiers.submit(tax_code, "exporter", dossier.id)

    copy = stack.dossiers.clone(tax_code, "exporter", dossier.id)

    assert copy.status == Status.DRAFT and copy.cloned_from == dossier.id
    assert stack.store.get_dossier(copy.id).lines == dossier.lines


def test_listing_is_newest_first_cursor_paged_and_filtered(stack):
    sample = register(stack, "form-e-footwear-cn.json")
    tax_code = sample["exporter"]["tax_code"]
    created = []
    for _minute in range(5):
        stack.clock.now += timedelta(minutes=1)
        created.append(stack.dossiers.create(tax_code, "e", draft_request(sample, "HP")).id)
    stack.dossiers.withdraw(tax_code, "e", created[1], "")

    first, cursor = stack.dossiers.list_mine(tax_code, limit=2)
    second, _cursor2 = stack.dossiers.list_mine(tax_code, limit=2, cursor=cursor)
    withdrawn, _ = stack.dossiers.list_mine(tax_code, limit=10, status=Status.WITHDRAWN)

    assert [d.id for d in first + second] == created[::-1][:4]
    assert [d.id for d in withdrawn] == [created[1]]
    assert stack.dossiers.list_mine(tax_code, limit=10, form="D")[0] == []


def test_a_filtered_page_is_filled_up_to_its_limit_and_its_cursor_leads_on(stack):
    sample = register(stack, "form-e-footwear-cn.json")
    tax_code = sample["exporter"]["tax_code"]
    created = []
    for _minute in range(7):
        stack.clock.now += timedelta(minutes=1)
        created.append(stack.dossiers.create(tax_code, "e", draft_request(sample, "HP")).id)
    for withdrawn_id in (created[0], created[1], created[3]):
        stack.dossiers.withdraw(tax_code, "e", withdrawn_id, "")

    first, cursor = stack.dossiers.list_mine(tax_code, limit=2, status=Status.WITHDRAWN)
    second, last_cursor = stack.dossiers.list_mine(
        tax_code, limit=2, cursor=cursor, status=Status.WITHDRAWN
    )

    assert [d.id for d in first] == [created[3], created[1]]
    assert cursor is not None
    assert [d.id for d in second] == [created[0]]
    assert last_cursor is None


def test_a_filtered_page_reads_a_bounded_number_of_dossiers(stack):
    sample = register(stack, "form-e-footwear-cn.json")
    tax_code = sample["exporter"]["tax_code"]
    stack.clock.now += timedelta(minutes=1)
    oldest = stack.dossiers.create(tax_code, "e", draft_request(sample, "HP")).id
    stack.dossiers.withdraw(tax_code, "e", oldest, "")
    for _minute in range(FILTERED_QUERIES_PER_PAGE * 2):
        stack.clock.now += timedelta(minutes=1)
        stack.dossiers.create(tax_code, "e", draft_request(sample, "HP"))
    store = DossierStore(stack.table, filtered_batch=2)  # reads at most 4 x 2 dossiers a page
    stack.counter.reset()

    page, cursor = store.list_by_trader(tax_code, 5, status=Status.WITHDRAWN)
    queries = stack.counter.calls["Query"]
    rest, end = store.list_by_trader(tax_code, 5, cursor, status=Status.WITHDRAWN)

    # past the bound the page is short, never lost: its cursor leads on to the match
    assert (page, cursor is not None, queries) == ([], True, FILTERED_QUERIES_PER_PAGE)
    assert ([d.id for d in rest], end) == ([oldest], None)


def test_exporter_registers_only_its_own_tax_code_and_only_once(stack):
    sample = load_sample("form-b-cashew-ae.json")

    with pytest.raises(NotFoundError):
        stack.traders.register(registration(sample), "6002837411")
    stack.traders.register(registration(sample), "0315429071")
    with pytest.raises(ConflictError, match="already registered"):
        stack.traders.register(registration(sample), "0315429071")


def test_profile_update_confirms_it_and_moves_the_renewal_date(stack):
    sample = register(stack, "form-b-cashew-ae.json")
    stack.clock.now += timedelta(days=700)
    details = registration(sample).model_dump(exclude={"tax_code", "test_trader"})

    updated = stack.traders.update("0315429071", TraderDetails.model_validate(details))

    assert stack.traders.get("0315429071").renewal_due_on == updated.renewal_due_on
    assert updated.renewal_due_on.year == 2030 and updated.version == 2
