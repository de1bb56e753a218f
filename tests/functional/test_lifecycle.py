"""Dossier lifecycles through the HTTP API and the real state machine definition."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.adapters.workflow import StepFunctionsWorkflow
from chalicelib.domain.dossiers import Status
from chalicelib.domain.notifications import NOTICES
from chalicelib.wiring import container
from tests.functional.exporter_api import ready_draft
from tests.functional.lifecycle_support import (
    LEADER,
    Staff,
    live_department,
    pay,
    wait_for_status,
    wait_for_token,
)
from tests.stack import Stack, json_body
from tools.samples import attachment_kinds, draft_body, load_sample

DEPARTMENT = "DAK-LAK"  # where the coffee sample (Form D) is submitted
EXPORTER_EMAIL = "export@krong-pac-coffee.example.com"  # the coffee trader, from the samples


@pytest.fixture
def department(stack: Stack) -> str:
    live_department(DEPARTMENT)
    return DEPARTMENT


def submitted_and_paid(stack: Stack, txn_id: str = "FT-1") -> tuple[object, str]:
    exporter, dossier_id = ready_draft(stack)
    assert exporter.submit(dossier_id).status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_PAYMENT)
    assert pay(stack, dossier_id, txn_id).status_code == 200
    wait_for_status(dossier_id, Status.PAID)
    return exporter, dossier_id


def test_a_sample_dossier_goes_from_submission_to_issued(stack: Stack, department: str) -> None:
    staff = Staff(stack, department)
    exporter, dossier_id = submitted_and_paid(stack)

    assert staff.claim(dossier_id).status_code == 200
    assert staff.decide(dossier_id, "approve").status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_SIGNATURE)
    assert staff.approve_signing(dossier_id).status_code == 200
    issued = wait_for_status(dossier_id, Status.ISSUED, Status.NEEDS_ATTENTION)

    assert issued.status == Status.ISSUED, issued.attention
    record = container().certificate_store.get_by_dossier(dossier_id)
    assert record.status.value == "valid"
    assert record.reference_number.startswith("VN-TH 26/")
    history = json_body(exporter.get(dossier_id))["history"]
    assert [event["to_status"] for event in history][-9:] == [
        "submitted", "awaiting_payment", "paid", "under_review", "approved",
        "awaiting_signature", "awaiting_signature", "signed", "issued",
    ]  # fmt: skip
    approval = history[-3]
    assert approval["actor"] == "leader:lead-1"
    assert approval["from_status"] == "awaiting_signature"
    assert approval["reason"] == f"signing approved by {LEADER}"
    receipt = stack.http.get(f"/dossiers/{dossier_id}/receipt", headers=exporter.headers)
    assert receipt.status_code == 200
    assert json_body(receipt)["receipt"]["number"]


def test_two_amendment_rounds_keep_the_comments_and_charge_once(
    stack: Stack, department: str
) -> None:
    staff = Staff(stack, department)
    exporter, dossier_id = submitted_and_paid(stack)
    comment = {"target": "/lines/0/hs_code", "comment": "Use the importing country's HS code"}

    for round_number in (1, 2):
        if round_number == 1:
            assert staff.claim(dossier_id).status_code == 200
        else:
            wait_for_status(dossier_id, Status.UNDER_REVIEW)
        asked = staff.decide(dossier_id, "amend", comments=[comment])
        assert asked.status_code == 200, asked.body
        wait_for_status(dossier_id, Status.AMENDMENT_REQUESTED)
        resubmitted = exporter.call("POST", f"/dossiers/{dossier_id}/resubmission")
        assert resubmitted.status_code == 200, resubmitted.body

    wait_for_token(dossier_id, "review")
    assert staff.decide(dossier_id, "approve").status_code == 200
    dossier = wait_for_status(dossier_id, Status.AWAITING_SIGNATURE)
    assert dossier.review.rounds == 2
    assert len(dossier.review.comments) == 2
    order = json_body(stack.http.get(f"/dossiers/{dossier_id}/payment",
                                     headers=exporter.headers))  # fmt: skip
    assert order["received_vnd"] == order["amount_vnd"] == 60_000


def test_an_amendment_comment_on_no_field_is_refused_and_changes_nothing(
    stack: Stack, department: str
) -> None:
    staff = Staff(stack, department)
    _, dossier_id = submitted_and_paid(stack)
    staff.claim(dossier_id)
    before = container().dossier_store.get_dossier(dossier_id)

    asked = staff.decide(
        dossier_id, "amend", comments=[{"target": "/consignee/fax", "comment": "Add a fax"}]
    )

    assert asked.status_code == 422, asked.body
    assert json_body(asked)["errors"][0]["pointer"] == "/comments/0/target"
    after = container().dossier_store.get_dossier(dossier_id)
    assert (after.status, after.version) == (Status.UNDER_REVIEW, before.version)


def test_a_refusal_ends_the_dossier_with_its_reason(stack: Stack, department: str) -> None:
    staff = Staff(stack, department)
    _, dossier_id = submitted_and_paid(stack)
    staff.claim(dossier_id)

    refused = staff.decide(
        dossier_id,
        "refuse",
        refusal_reason="origin_criteria_not_met",
        refusal_text="Supplier declarations do not cover the beans",
    )

    assert refused.status_code == 200
    dossier = wait_for_status(dossier_id, Status.REFUSED)
    assert dossier.review.refusal_reason.value == "origin_criteria_not_met"
    execution = f"{stack.state_machine_arn.replace(':stateMachine:', ':execution:')}"
    described = stack.wait_for_execution(f"{execution}:{dossier_id}-1")
    assert described["status"] == "SUCCEEDED"


def test_a_second_decision_on_the_same_step_is_a_conflict(stack: Stack, department: str) -> None:
    staff = Staff(stack, department)
    _, dossier_id = submitted_and_paid(stack)
    staff.claim(dossier_id)

    first = staff.decide(dossier_id, "approve")
    second = staff.decide(dossier_id, "refuse", refusal_reason="other")

    assert first.status_code == 200
    assert second.status_code == 409
    assert wait_for_status(dossier_id, Status.AWAITING_SIGNATURE).status


def test_a_specialist_of_another_department_may_not_decide(stack: Stack, department: str) -> None:
    _, dossier_id = submitted_and_paid(stack)
    Staff(stack, department).claim(dossier_id)
    outsider = Staff(stack, "HAI-PHONG")

    response = outsider.decide(dossier_id, "approve")

    assert response.status_code == 403
    assert container().dossier_store.get_dossier(dossier_id).status == Status.UNDER_REVIEW


def test_no_payment_in_time_expires_the_dossier(stack: Stack, department: str) -> None:
    deps = container()
    arn = deps.settings.DOSSIER_STATE_MACHINE_ARN
    deps.workflow = StepFunctionsWorkflow(deps.stepfunctions, arn, 1)  # type: ignore[misc]
    exporter, dossier_id = ready_draft(stack)

    assert exporter.submit(dossier_id).status_code == 200

    dossier = wait_for_status(dossier_id, Status.EXPIRED, timeout=20)
    assert dossier.status == Status.EXPIRED


def test_starting_a_dossier_execution_again_is_harmless(stack: Stack, department: str) -> None:
    # given a submitted dossier whose execution (attempt 1) waits for the fee
    exporter, dossier_id = ready_draft(stack)
    assert exporter.submit(dossier_id).status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_PAYMENT)
    workflow = StepFunctionsWorkflow(stack.client("stepfunctions"), stack.state_machine_arn, 60)

    # when the same attempt is started again
    again = workflow.start(dossier_id, 1)

    # then it names the running execution, and no second one runs
    execution = f"{stack.state_machine_arn.replace(':stateMachine:', ':execution:')}:{dossier_id}-1"
    assert again == execution
    executions = stack.client("stepfunctions").list_executions(
        stateMachineArn=stack.state_machine_arn
    )["executions"]
    mine = [e for e in executions if e["name"].startswith(dossier_id)]
    assert [(e["name"], e["status"]) for e in mine] == [(f"{dossier_id}-1", "RUNNING")]
    assert container().dossier_store.get_dossier(dossier_id).status == Status.AWAITING_PAYMENT


def test_a_failed_step_needs_attention_and_an_operations_retry_issues(
    stack: Stack, department: str
) -> None:
    staff = Staff(stack, department)
    _, dossier_id = submitted_and_paid(stack)
    staff.claim(dossier_id)
    staff.decide(dossier_id, "approve")
    wait_for_status(dossier_id, Status.AWAITING_SIGNATURE)
    reference = container().certificate_store.get_by_dossier(dossier_id).reference_number
    unsigned = f"certificates/{reference.replace(' ', '-').replace('/', '-')}/unsigned.pdf"
    s3, bucket = container().s3, container().settings.DOCUMENTS_BUCKET
    kept = s3.get_object(Bucket=bucket, Key=unsigned)["Body"].read()
    s3.delete_object(Bucket=bucket, Key=unsigned)

    staff.approve_signing(dossier_id)
    stuck = wait_for_status(dossier_id, Status.NEEDS_ATTENTION)
    assert stuck.attention.step == "sign"
    listed = stack.http.get(f"/operations/attention?department={department}",
                            headers=stack.auth("operations"))  # fmt: skip
    assert [item["dossier_id"] for item in json_body(listed)["items"]] == [dossier_id]

    s3.put_object(Bucket=bucket, Key=unsigned, Body=kept)
    retried = stack.http.post(f"/operations/dossiers/{dossier_id}/retry",
                              headers=stack.auth("operations"))  # fmt: skip

    assert retried.status_code == 200, retried.body
    issued = wait_for_status(dossier_id, Status.ISSUED, Status.NEEDS_ATTENTION)
    assert issued.status == Status.ISSUED, issued.attention
    assert issued.signing_leader == LEADER


def test_the_review_deadline_skips_the_weekend_and_a_public_holiday(
    stack: Stack, department: str
) -> None:
    # Paid on Friday 28 Aug 2026 at 15:00 Vietnam time; Mon 31 Aug is a make-up day off and
    # 1-2 Sep are National Day holidays in the `holidays` calendar: review is due on 3 Sep.
    stack.clock.now = datetime(2026, 8, 28, 8, 0, tzinfo=UTC)
    _, dossier_id = submitted_and_paid(stack)
    wait_for_token(dossier_id, "review")

    dossier = container().dossier_store.get_dossier(dossier_id)

    # Friday 15:00-17:00 is 2 hours; Thursday 3 Sep 08:00-12:00 the other 4 (12:00 = 05:00 UTC).
    assert dossier.review.due_at == datetime(2026, 9, 3, 5, 0, tzinfo=UTC)


def test_the_review_queue_lists_the_soonest_due_first_with_its_deadline(
    stack: Stack, department: str
) -> None:
    # given two dossiers paid an hour apart on Thursday 3 Dec 2026 (09:00 and 10:00 in Vietnam)
    exporter, first = submitted_and_paid(stack, "FT-Q1")
    wait_for_token(first, "review")
    stack.clock.advance(hours=1)
    sample = load_sample("form-d-coffee-th.json")
    second = json_body(exporter.create(draft_body(sample, department)))["id"]
    for kind in attachment_kinds(sample):
        assert exporter.attach(second, kind).status_code == 201
    assert exporter.submit(second).status_code == 200
    wait_for_status(second, Status.AWAITING_PAYMENT)
    assert pay(stack, second, "FT-Q2").status_code == 200
    wait_for_token(second, "review")

    # when a specialist reads the queue of paid dossiers
    queue = stack.http.get("/review/queue?status=paid", headers=Staff(stack, department).specialist)

    # then the earlier one comes first; each is due 6 working hours after payment
    items = json_body(queue)["items"]
    assert [item["dossier_id"] for item in items] == [first, second]
    assert [item["review_due_at"] for item in items] == [
        "2026-12-03T09:00:00Z", "2026-12-03T10:00:00Z"
    ]  # fmt: skip
    assert [item["overdue"] for item in items] == [False, False]


def test_a_lost_callback_is_repaired_by_the_next_statement(stack: Stack, department: str) -> None:
    import io

    from tools.bank_statement_writer import BankLine, write_mt940

    exporter, dossier_id = ready_draft(stack)
    assert exporter.submit(dossier_id).status_code == 200
    wait_for_status(dossier_id, Status.AWAITING_PAYMENT)
    order = json_body(stack.http.get(f"/dossiers/{dossier_id}/payment", headers=exporter.headers))
    statement = io.StringIO()
    write_mt940(statement, account=f"970407/{order['transfer']['account_number']}",
                statement_id="TCB20261203", sequence=1, day=datetime(2026, 12, 3).date(),
                opening=0, lines=[BankLine(60_000, f"PHI CO {order['payment_reference']}",
                                           bank_reference="FT26337LOST1")])  # fmt: skip

    stack.client("s3").put_object(
        Bucket=container().settings.STATEMENTS_BUCKET,
        Key=f"statements/techcombank/{department}/2026-12-03/mt940.sta",
        Body=statement.getvalue().encode(),
    )

    files = stack.http.get(f"/operations/reconciliation/{department}/2026-12-03",
                           headers=stack.auth("operations"))  # fmt: skip
    assert json_body(files)["files"][0]["status"] == "reconciled", files.body
    assert wait_for_status(dossier_id, Status.PAID).status == Status.PAID
    paid = json_body(stack.http.get(f"/dossiers/{dossier_id}/payment", headers=exporter.headers))
    assert paid["received_vnd"] == 60_000


def _sent_mail() -> list[object]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["ap-southeast-1"].sent_messages)


def notices_to_the_exporter(dossier_id: str) -> list[tuple[str, str]]:
    """(subject, body) of every mail sent to the sample trader about this dossier."""
    return [
        (message.subject, message.body)
        for message in _sent_mail()
        if dossier_id in message.subject and message.destinations["ToAddresses"] == [EXPORTER_EMAIL]
    ]


def assert_told_once_in_both_languages(dossier_id: str, *events: str) -> None:
    notices = notices_to_the_exporter(dossier_id)
    assert len(notices) == len(events), [subject for subject, _ in notices]
    for event, (subject, body) in zip(events, notices, strict=True):
        subject_vi, subject_en, body_vi, body_en = NOTICES[event]
        assert subject_vi.format(dossier=dossier_id) in subject, (event, subject)
        assert subject_en.format(dossier=dossier_id) in subject, (event, subject)
        assert body_vi.format(dossier=dossier_id) in body, (event, body)
        assert body_en.format(dossier=dossier_id) in body, (event, body)


def test_the_exporter_downloads_the_certificate_and_was_told_in_both_languages(
    stack: Stack, department: str
) -> None:
    staff = Staff(stack, department)
    exporter, dossier_id = submitted_and_paid(stack)
    staff.claim(dossier_id)
    comment = {"target": "/consignee/name", "comment": "Write the consignee's registered name"}
    assert staff.decide(dossier_id, "amend", comments=[comment]).status_code == 200
    wait_for_status(dossier_id, Status.AMENDMENT_REQUESTED)
    assert exporter.call("POST", f"/dossiers/{dossier_id}/resubmission").status_code == 200
    wait_for_token(dossier_id, "review")
    staff.decide(dossier_id, "approve")
    staff.approve_signing(dossier_id)
    wait_for_status(dossier_id, Status.ISSUED)

    download = stack.http.get(f"/dossiers/{dossier_id}/certificate", headers=exporter.headers)
    other = stack.auth("exporter", tax_code="0100109106")
    hidden = stack.http.get(f"/dossiers/{dossier_id}/certificate", headers=other)

    assert download.status_code == 200
    assert "X-Amz-Signature" in json_body(download)["pdf_url"]
    assert hidden.status_code == 404
    assert_told_once_in_both_languages(
        dossier_id, "submitted", "paid", "amendment_requested", "issued"
    )
    subject, body = notices_to_the_exporter(dossier_id)[-1]
    assert (
        subject == f"C/O của hồ sơ {dossier_id} đã được cấp / C/O for dossier {dossier_id} issued"
    )
    assert "đã được ký và cấp" in body and "was signed and issued" in body


def test_a_refused_exporter_is_told_in_both_languages(stack: Stack, department: str) -> None:
    staff = Staff(stack, department)
    _, dossier_id = submitted_and_paid(stack)
    staff.claim(dossier_id)

    staff.decide(dossier_id, "refuse", refusal_reason="incomplete_dossier")

    wait_for_status(dossier_id, Status.REFUSED)
    assert_told_once_in_both_languages(dossier_id, "submitted", "paid", "refused")


def test_overdue_reviews_are_flagged_once_and_the_department_told(
    stack: Stack, department: str
) -> None:
    from chalicelib.handlers import events

    _, dossier_id = submitted_and_paid(stack)
    wait_for_token(dossier_id, "review")
    before = len(_sent_mail())
    stack.clock.advance(days=3)

    first = events.watch_review_sla({"departments": [department]})
    second = events.watch_review_sla({"departments": [department]})

    assert first["flagged"] == {department: [dossier_id]}
    assert second["flagged"] == {}
    assert container().dossier_store.get_dossier(dossier_id).review.overdue_flagged_at
    assert len(_sent_mail()) == before + 1
