"""Use cases of the exporter's dossiers: draft, fill, attach, submit, follow, withdraw."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aws_lambda_powertools import Logger

from chalicelib.adapters.attachment_bucket import AttachmentBucket
from chalicelib.adapters.dossier_store import DossierStore
from chalicelib.domain import dossiers as rules
from chalicelib.domain.attachments import (
    UploadRequest,
    object_key,
    pdf_problem,
    received_problem,
    upload_problems,
)
from chalicelib.domain.department_standing import DepartmentStanding
from chalicelib.domain.dossiers import (
    Attachment,
    Dossier,
    DossierUpdate,
    DraftRequest,
    Exporter,
    GoodsLine,
    HistoryEvent,
    Status,
)
from chalicelib.domain.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    RuleViolationError,
    ValidationFailedError,
)
from chalicelib.domain.forms import Catalogue, Form
from chalicelib.domain.goods_csv import parse_goods_csv
from chalicelib.domain.identity import Principal
from chalicelib.domain.traders import TraderProfile, ensure_may_submit

logger = Logger(service="dossiers")

MAX_PAGE = 100
ATTACHABLE = frozenset({Status.DRAFT, Status.AMENDMENT_REQUESTED})


class DepartmentDirectory(Protocol):
    def get(self, code: str) -> DepartmentStanding | None:
        """The department's standing, or None when there is no such department."""


class WorkflowPort(Protocol):
    def start(self, dossier_id: str, attempt: int, payment_required: bool) -> object:
        """Start the dossier's lifecycle; a repeat with the same attempt is harmless."""


@dataclass(frozen=True)
class Upload:
    attachment: Attachment
    url: str
    fields: dict[str, str]


class PaymentOrders(Protocol):
    """Opens the payment order of a submitted dossier; False when no fee is due yet."""

    def open(self, dossier: Dossier, department: DepartmentStanding, now: datetime) -> bool: ...


class DossierService:
    def __init__(
        self,
        store: DossierStore,
        bucket: AttachmentBucket,
        departments: DepartmentDirectory,
        workflow: WorkflowPort,
        catalogue: Catalogue,
        clock: Callable[[], datetime],
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        orders: PaymentOrders | None = None,
    ) -> None:
        self._orders = orders
        self._store = store
        self._bucket = bucket
        self._departments = departments
        self._workflow = workflow
        self._catalogue = catalogue
        self._clock = clock
        self._new_id = new_id

    # ---- drafts --------------------------------------------------------------------------

    def create(self, tax_code: str, actor: str, request: DraftRequest) -> Dossier:
        dossier = rules.new_draft(request, self._new_id(), tax_code, self._catalogue, self._clock())
        self._store.create_dossier(dossier, rules.creation_event(dossier, actor))
        logger.info("dossier created", extra={"dossier_id": dossier.id, "form": dossier.form})
        return dossier

    def clone(self, tax_code: str, actor: str, source_id: str) -> Dossier:
        source = self._owned(tax_code, source_id)
        dossier = rules.clone(source, self._new_id(), self._catalogue, self._clock())
        self._store.create_dossier(dossier, rules.creation_event(dossier, actor))
        logger.info("dossier cloned", extra={"dossier_id": dossier.id, "source_id": source_id})
        return dossier

    def update(self, tax_code: str, dossier_id: str, update: DossierUpdate) -> Dossier:
        dossier = self._owned(tax_code, dossier_id)
        changed = rules.apply_update(dossier, update, self._catalogue, self._clock())
        self._store.save_dossier(changed, dossier.version)
        return changed

    def add_lines(self, tax_code: str, dossier_id: str, lines: list[GoodsLine]) -> Dossier:
        dossier = self._owned(tax_code, dossier_id)
        changed = rules.add_lines(dossier, lines, self._catalogue, self._clock())
        self._store.save_dossier(changed, dossier.version)
        return changed

    def import_lines_csv(self, tax_code: str, dossier_id: str, csv_text: str) -> Dossier:
        """All rows become lines, or none do and every bad row is reported."""
        dossier = self._owned(tax_code, dossier_id)
        rules.ensure_editable(dossier)

        lines, problems = parse_goods_csv(csv_text, self._catalogue.form(dossier.form))
        if problems:
            rows = len(
                {p.pointer.split("/")[2] for p in problems if p.pointer.startswith("/rows/")}
            )
            detail = f"{rows} row(s) of the file have errors" if rows else "The file has errors"
            raise ValidationFailedError(detail, problems)

        changed = rules.add_lines(dossier, lines, self._catalogue, self._clock())
        self._store.save_dossier(changed, dossier.version)
        return changed

    def request_upload(self, tax_code: str, dossier_id: str, request: UploadRequest) -> Upload:
        """Record an expected attachment and hand out a presigned POST for it."""
        problems = [FieldProblem(pointer, message) for pointer, message in upload_problems(request)]
        if problems:
            raise ValidationFailedError(problems=problems)
        dossier = self._owned(tax_code, dossier_id)
        if dossier.status not in ATTACHABLE:
            raise ConflictError(f"No attachment can be added to a dossier that is {dossier.status}")
        if len(dossier.attachments) >= rules.MAX_ATTACHMENTS:
            limit = f"a dossier holds at most {rules.MAX_ATTACHMENTS} attachments"
            raise ValidationFailedError(problems=[FieldProblem("/attachments", limit)])

        attachment_id = self._new_id()
        attachment = Attachment(
            id=attachment_id,
            kind=request.kind,
            filename=request.filename,
            content_type=request.content_type,
            declared_size=request.size,
            key=object_key(dossier.id, attachment_id, request.filename),
        )
        changed = dossier.changed(self._clock(), attachments=[*dossier.attachments, attachment])
        self._store.save_dossier(changed, dossier.version)

        form = self._bucket.presigned_upload(attachment.key, attachment.content_type)
        return Upload(attachment=attachment, url=form["url"], fields=form["fields"])

    # ---- reading -------------------------------------------------------------------------

    def get(self, tax_code: str, dossier_id: str) -> tuple[Dossier, list[HistoryEvent]]:
        found = self._store.get_dossier_with_history(dossier_id)
        if found is None or found[0].trader_tax_code != tax_code:
            raise NotFoundError("No such dossier", dossier_id=dossier_id)
        return found

    def read(self, caller: Principal, dossier_id: str) -> tuple[Dossier, list[HistoryEvent]]:
        """The dossier and its history, if the caller may see it; 404 looks the same either way."""
        found = self._store.get_dossier_with_history(dossier_id)
        if found is None or not rules.visible_to(found[0], caller):
            raise NotFoundError("No such dossier", dossier_id=dossier_id)
        return found

    def list_mine(
        self,
        tax_code: str,
        limit: int = 20,
        cursor: str | None = None,
        status: Status | None = None,
        form: str | None = None,
    ) -> tuple[list[Dossier], str | None]:
        return self._store.list_by_trader(
            tax_code, max(1, min(limit, MAX_PAGE)), cursor, status, form
        )

    # ---- lifecycle -----------------------------------------------------------------------

    def submit(self, tax_code: str, actor: str, dossier_id: str) -> Dossier:
        dossier = self._owned(tax_code, dossier_id)
        now = self._clock()
        today = rules.vietnam_day(now)
        if dossier.status == Status.SUBMITTED:
            # A retry after the workflow failed to start: starting again is harmless.
            department = self._department(dossier.department_code or "")
            self._workflow.start(dossier.id, dossier.attempt, department.collects_fees_on(today))
            return dossier
        rules.ensure_editable(dossier)

        checked, form, department = self.checked_for_review(dossier, now)
        prepared = checked.model_copy(update={"submitted_at": now, "attempt": dossier.attempt + 1})
        submitted, event = rules.transition(prepared, Status.SUBMITTED, actor, "submitted", now)
        self._store.save_dossier(submitted, dossier.version, [event])

        payment_required = department.collects_fees_on(today)
        if payment_required and self._orders is not None:
            payment_required = self._orders.open(submitted, department, now)
        self._workflow.start(submitted.id, submitted.attempt, payment_required)
        logger.info(
            "dossier submitted",
            extra={"dossier_id": submitted.id, "form": form.code, "payment": payment_required},
        )
        return submitted

    def checked_for_review(
        self, dossier: Dossier, now: datetime
    ) -> tuple[Dossier, Form, DepartmentStanding]:
        """The submission checks, also run on a resubmission after amendment: the trader may
        submit, the content is complete, the department issues the form, every upload not yet
        seen is looked at, and every required document is there. Returns the dossier with its
        checked attachments, derived remarks and exporter box."""
        today = rules.vietnam_day(now)
        form = self._catalogue.form(dossier.form)
        trader = self._trader(dossier.trader_tax_code)
        ensure_may_submit(trader, today)
        rules.raise_problems(
            rules.content_problems(dossier, self._catalogue)
            + rules.completeness_problems(dossier, self._catalogue)
        )
        department = self._ensure_department_may_issue(dossier, form, trader)

        checked = dossier.model_copy(
            update={
                "attachments": self._check_uploads(dossier.attachments),
                "derived_remarks": rules.derived_remarks(dossier, form, today),
                "exporter": _exporter_box(trader),
            }
        )
        self._ensure_attachments(checked, form)
        return checked, form, department

    def withdraw(self, tax_code: str, actor: str, dossier_id: str, reason: str) -> Dossier:
        dossier = self._owned(tax_code, dossier_id)
        if dossier.status not in rules.WITHDRAWABLE:
            raise ConflictError(
                f"A dossier can be withdrawn only before review; this one is {dossier.status}"
            )
        # NOTE: a running workflow learns of the withdrawal when its next transition is refused.
        withdrawn, event = rules.transition(
            dossier, Status.WITHDRAWN, actor, reason or "withdrawn", self._clock()
        )
        self._store.save_dossier(withdrawn, dossier.version, [event])
        logger.info("dossier withdrawn", extra={"dossier_id": dossier_id})
        return withdrawn

    # ---- steps ---------------------------------------------------------------------------

    def _owned(self, tax_code: str, dossier_id: str) -> Dossier:
        """The caller's dossier; another trader's is answered exactly like a missing one."""
        dossier = self._store.get_dossier(dossier_id)
        if dossier is None or dossier.trader_tax_code != tax_code:
            raise NotFoundError("No such dossier", dossier_id=dossier_id)
        return dossier

    def _trader(self, tax_code: str) -> TraderProfile:
        trader = self._store.get_trader(tax_code)
        if trader is None:
            raise RuleViolationError("Register the trader profile before submitting")
        return trader

    def _department(self, code: str) -> DepartmentStanding:
        department = self._departments.get(code)
        if department is None:
            raise RuleViolationError(f"There is no issuing department {code}", department=code)
        return department

    def _ensure_department_may_issue(
        self, dossier: Dossier, form: Form, trader: TraderProfile
    ) -> DepartmentStanding:
        code = dossier.department_code or ""
        department = self._department(code)
        accepted_state = "sandbox" if trader.test_trader else "live"
        if department.state != accepted_state:
            raise RuleViolationError(
                f"Department {code} is {department.state}; "
                f"{'test' if trader.test_trader else 'real'} dossiers go to a department "
                f"that is {accepted_state}",
                department=code,
            )
        if form.code not in department.allowed_forms:
            raise RuleViolationError(
                f"Department {code} does not issue {form.name}", department=code
            )
        return department

    def _check_uploads(self, attachments: list[Attachment]) -> list[Attachment]:
        """Look at every upload not yet seen: is it there, small enough, what it claims?"""
        checked = []
        for attachment in attachments:
            if attachment.state == "awaiting_upload":
                uploaded = self._bucket.uploaded(attachment.key)
                if uploaded is not None:
                    problem = received_problem(
                        attachment.content_type, uploaded.size, uploaded.head
                    )
                    if problem is None and attachment.content_type == "application/pdf":
                        problem = pdf_problem(self._bucket.content(attachment.key))
                    attachment = attachment.model_copy(
                        update={
                            "state": "rejected" if problem else "received",
                            "size": uploaded.size,
                            "problem": problem,
                        }
                    )
            checked.append(attachment)
        return checked

    @staticmethod
    def _ensure_attachments(dossier: Dossier, form: Form) -> None:
        missing = rules.missing_attachments(dossier, form)
        if not missing:
            return
        rejected = [
            f"{a.kind} ({a.filename}): {a.problem}" for a in dossier.attachments if a.problem
        ]
        detail = f"{form.name} requires these attachments: {', '.join(missing)}"
        if rejected:
            detail += "; rejected uploads: " + "; ".join(rejected)
        raise RuleViolationError(detail, missing=missing)


def _exporter_box(trader: TraderProfile) -> Exporter:
    signatory = trader.signatories[0]
    return Exporter(
        tax_code=trader.tax_code,
        name=trader.name_en,
        name_vi=trader.name_vi,
        address=trader.address,
        signatory=f"{signatory.full_name}, {signatory.title}",
    )
