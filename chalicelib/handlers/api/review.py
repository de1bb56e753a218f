"""Review, signature and operations routes of the dossier lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.dossiers import AmendmentComment, Dossier, RefusalReason, Status
from chalicelib.domain.errors import ForbiddenError, NotFoundError, RuleViolationError
from chalicelib.domain.identity import Access, Principal, Role
from chalicelib.handlers.api.routing import Call, endpoint
from chalicelib.services.workflow import Lifecycle
from chalicelib.wiring import container

blueprint = Blueprint(__name__)

SPECIALIST = Access.only(Role.SPECIALIST)
LEADER = Access.only(Role.LEADER)
OPERATIONS = Access.only(Role.OPERATIONS)
QUEUE_READERS = Access.only(Role.SPECIALIST, Role.LEADER, Role.OPERATIONS, Role.AUDITOR)
ATTENTION_READERS = Access.only(Role.OPERATIONS, Role.AUDITOR)
QUEUE_STATUSES = Literal[
    "submitted", "paid", "under_review", "amendment_requested", "approved",
    "awaiting_signature", "needs_attention",
]  # fmt: skip


FreeText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class QueueQuery(_Strict):
    status: QUEUE_STATUSES = "paid"
    department: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_-]{2,20}$")] | None = None
    limit: int = Field(default=50, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(max_length=2000)] | None = None


class DecisionRequest(_Strict):
    decision: Literal["approve", "amend", "refuse"]
    comments: list[AmendmentComment] = Field(default_factory=list, max_length=100)
    refusal_reason: RefusalReason | None = None
    refusal_text: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None
    ) = None


class WorkItem(BaseModel):
    model_config = ConfigDict(defer_build=True)
    dossier_id: str
    status: Status
    form: str
    department_code: str | None
    trader_tax_code: str
    exporter_name: str | None
    submitted_at: datetime | None
    review_due_at: datetime | None
    overdue: bool
    reviewer: str | None
    version: int
    attention_step: str | None = None
    attention_error: str | None = None


class WorkQueue(BaseModel):
    model_config = ConfigDict(defer_build=True)
    items: list[WorkItem]
    next_cursor: str | None


class RetryView(BaseModel):
    model_config = ConfigDict(defer_build=True)
    dossier_id: str
    execution_arn: str | None = Field(
        description="The new execution, where the workflow had stopped at a failed step"
    )
    receipt: str | None = Field(
        description="The receipt issued again, where the receipt step had failed"
    )


def work_item(dossier: Dossier, now: datetime, attention_step: str | None = None) -> WorkItem:
    """`attention_step` names the failed step an attention-list entry is about."""
    due = dossier.review.due_at
    attention = dossier.receipt_attention if attention_step == "receipt" else dossier.attention
    return WorkItem(
        dossier_id=dossier.id,
        status=dossier.status,
        form=dossier.form,
        department_code=dossier.department_code,
        trader_tax_code=dossier.trader_tax_code,
        exporter_name=dossier.exporter.name if dossier.exporter else None,
        submitted_at=dossier.submitted_at,
        review_due_at=due,
        overdue=due is not None
        and due < now
        and dossier.status in (Status.SUBMITTED, Status.PAID, Status.UNDER_REVIEW),
        reviewer=dossier.review.reviewer,
        version=dossier.version,
        attention_step=attention.step if attention else None,
        attention_error=attention.error if attention else None,
    )


def _department_of(principal: Principal, asked: str | None) -> str:
    if principal.role in (Role.SPECIALIST, Role.LEADER):
        if asked and asked != principal.department:
            raise ForbiddenError("Staff see their own department's queue only")
        return str(principal.department)
    if not asked:
        raise RuleViolationError("Name the department to read its queue")
    return asked


def _queue(call: Call, status: str) -> WorkQueue:
    query: QueueQuery = call.query
    department = _department_of(call.caller, query.department)
    if status == Status.NEEDS_ATTENTION.value:
        # Failed receipts share this queue; the attention list reads both kinds of entry.
        entries, next_cursor = container().attention_list.page(
            department, query.limit, query.cursor
        )
        items = [work_item(dossier, call.now, step) for dossier, step in entries]
        return WorkQueue(items=items, next_cursor=next_cursor)
    dossiers, cursor = container().dossier_store.list_queue(
        department, Status(status), query.limit, query.cursor
    )
    return WorkQueue(items=[work_item(d, call.now) for d in dossiers], next_cursor=cursor)


@endpoint(
    blueprint,
    "/review/queue",
    "GET",
    access=QUEUE_READERS,
    query=QueueQuery,
    response=WorkQueue,
    summary="A department's work queue, soonest deadline first",
    tags=("review",),
)
def review_queue(call: Call) -> WorkQueue:
    return _queue(call, call.query.status)


@endpoint(
    blueprint,
    "/review/dossiers/{dossier_id}/claim",
    "POST",
    access=SPECIALIST,
    response=WorkItem,
    summary="Take a paid dossier for review",
    tags=("review",),
)
def claim(call: Call, dossier_id: str) -> WorkItem:
    return work_item(Lifecycle(container()).claim(dossier_id, call.caller), call.now)


@endpoint(
    blueprint,
    "/review/dossiers/{dossier_id}/decision",
    "POST",
    access=SPECIALIST,
    body=DecisionRequest,
    response=WorkItem,
    tags=("review",),
    summary=(
        "Approve, ask for amendment (each comment targets a JSON pointer into the dossier "
        "or a document kind) or refuse (reason)"
    ),
)
def decide(call: Call, dossier_id: str) -> WorkItem:
    request: DecisionRequest = call.body
    dossier = Lifecycle(container()).decide(
        dossier_id,
        call.caller,
        request.decision,
        request.comments,
        request.refusal_reason,
        request.refusal_text,
    )
    return work_item(dossier, call.now)


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/resubmission",
    "POST",
    access=Access.only(Role.EXPORTER),
    response=WorkItem,
    tags=("exporter",),
    summary="Send an amended dossier back to review (no new fee)",
)
def resubmit(call: Call, dossier_id: str) -> WorkItem:
    lifecycle = Lifecycle(container())
    dossier = lifecycle.dossiers.get_dossier(dossier_id)
    if dossier is None or dossier.trader_tax_code != call.caller.tax_code:
        raise NotFoundError(f"No dossier {dossier_id}")
    return work_item(lifecycle.resubmit(dossier, call.caller.actor), call.now)


@endpoint(
    blueprint,
    "/signing/queue",
    "GET",
    access=QUEUE_READERS,
    query=QueueQuery,
    response=WorkQueue,
    summary="Certificates waiting for the leader's signature",
    tags=("signing",),
)
def signing_queue(call: Call) -> WorkQueue:
    return _queue(call, Status.AWAITING_SIGNATURE.value)


@endpoint(
    blueprint,
    "/signing/dossiers/{dossier_id}/approval",
    "POST",
    access=LEADER,
    response=WorkItem,
    summary="Approve signing; the certificate is signed and issued",
    tags=("signing",),
)
def approve_signing(call: Call, dossier_id: str) -> WorkItem:
    return work_item(Lifecycle(container()).approve_signing(dossier_id, call.caller), call.now)


@endpoint(
    blueprint,
    "/operations/attention",
    "GET",
    access=ATTENTION_READERS,
    query=QueueQuery,
    response=WorkQueue,
    summary="Dossiers whose workflow stopped at a failed step, and failed receipts",
    tags=("operations",),
)
def attention_queue(call: Call) -> WorkQueue:
    return _queue(call, Status.NEEDS_ATTENTION.value)


@endpoint(
    blueprint,
    "/operations/dossiers/{dossier_id}/retry",
    "POST",
    access=OPERATIONS,
    response=RetryView,
    summary="Issue a failed receipt again; resume a stopped dossier at the step that failed",
    tags=("operations",),
)
def retry(call: Call, dossier_id: str) -> RetryView:
    outcome = Lifecycle(container()).retry(dossier_id, call.caller)
    return RetryView(
        dossier_id=dossier_id, execution_arn=outcome.execution_arn, receipt=outcome.receipt
    )


class CertificateDownload(BaseModel):
    model_config = ConfigDict(defer_build=True)
    dossier_id: str
    reference_number: str
    pdf_sha256: str | None
    pdf_url: str
    expires_in: int


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/certificate",
    "GET",
    access=Access.only(Role.EXPORTER, Role.SPECIALIST, Role.LEADER, Role.OPERATIONS, Role.AUDITOR),
    response=CertificateDownload,
    tags=("exporter",),
    summary="A short-lived link to the dossier's signed certificate",
)
def certificate_download(call: Call, dossier_id: str) -> CertificateDownload:
    from chalicelib.domain.dossiers import visible_to
    from chalicelib.services.workflow import certificate_issuance

    deps = container()
    dossier = deps.dossier_store.get_dossier(dossier_id)
    if dossier is None or not visible_to(dossier, call.caller):
        raise NotFoundError(f"No dossier {dossier_id}")
    record = deps.certificate_store.get_by_dossier(dossier_id)
    if record is None or record.pdf_key is None:
        raise NotFoundError(f"Dossier {dossier_id} has no published certificate")
    expires = 300
    return CertificateDownload(
        dossier_id=dossier_id,
        reference_number=record.reference_number,
        pdf_sha256=record.pdf_sha256,
        pdf_url=certificate_issuance(deps).download_url(dossier_id, expires),
        expires_in=expires,
    )
