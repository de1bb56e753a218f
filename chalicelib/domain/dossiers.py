"""The C/O dossier: its content, its lifecycle and the rules a complete one must meet.

Content follows Decree 31, Art. 15 and the boxes of the forms; which boxes and line fields a
form requires comes from the form catalogue. Status changes go through `transition`, which
yields the history event recorded with the change and bumps `version`, the optimistic-lock
counter every conditional write checks.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import iso3166
import iso4217
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.errors import (
    ConflictError,
    FieldProblem,
    RuleViolationError,
    ValidationFailedError,
)
from chalicelib.domain.field_problems import json_pointer
from chalicelib.domain.forms import (
    AttachmentKind,
    Catalogue,
    Form,
    criterion_problems,
    parse_origin_criterion,
    uses_rvc,
)
from chalicelib.domain.identity import Principal, Role

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_LINES = 500
MAX_ATTACHMENTS = 50


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    UNDER_REVIEW = "under_review"
    AMENDMENT_REQUESTED = "amendment_requested"
    APPROVED = "approved"
    AWAITING_SIGNATURE = "awaiting_signature"
    SIGNED = "signed"
    ISSUED = "issued"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REPLACED = "replaced"
    NEEDS_ATTENTION = "needs_attention"


S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    # Submitted goes straight to review where a department does not collect fees yet.
    S.SUBMITTED: frozenset({S.AWAITING_PAYMENT, S.UNDER_REVIEW, S.WITHDRAWN, S.EXPIRED}),
    S.AWAITING_PAYMENT: frozenset({S.PAID, S.WITHDRAWN, S.EXPIRED}),
    S.PAID: frozenset({S.UNDER_REVIEW, S.WITHDRAWN}),
    S.UNDER_REVIEW: frozenset({S.AMENDMENT_REQUESTED, S.APPROVED, S.REFUSED}),
    S.AMENDMENT_REQUESTED: frozenset({S.UNDER_REVIEW, S.EXPIRED}),
    S.APPROVED: frozenset({S.AWAITING_SIGNATURE}),
    S.AWAITING_SIGNATURE: frozenset({S.SIGNED, S.REFUSED}),
    S.SIGNED: frozenset({S.ISSUED}),
    S.ISSUED: frozenset({S.CANCELLED, S.REPLACED}),
}
WORKFLOW_STATES = frozenset(
    {
        S.SUBMITTED,
        S.AWAITING_PAYMENT,
        S.PAID,
        S.UNDER_REVIEW,
        S.AMENDMENT_REQUESTED,
        S.APPROVED,
        S.AWAITING_SIGNATURE,
        S.SIGNED,
    }
)
WITHDRAWABLE = frozenset({S.DRAFT, S.SUBMITTED, S.AWAITING_PAYMENT, S.PAID})
# From needs_attention a dossier resumes where it stopped, or ends.
ATTENTION_EXITS = frozenset({S.REFUSED, S.EXPIRED})


def allowed_next(status: Status, attention_from: Status | None = None) -> frozenset[Status]:
    if status == S.NEEDS_ATTENTION:
        resume = {attention_from} if attention_from else set()
        return frozenset(resume) | ATTENTION_EXITS
    extra = {S.NEEDS_ATTENTION} if status in WORKFLOW_STATES else set()
    return TRANSITIONS.get(status, frozenset()) | extra


# ---- content -------------------------------------------------------------------------------

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


def _country(code: str) -> str:
    if code not in iso3166.countries_by_alpha2:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return code


def _currency(code: str) -> str:
    try:
        iso4217.Currency(code)
    except ValueError as exc:
        raise ValueError("not an ISO 4217 currency code") from exc
    return code


def _hs_code(raw: str) -> str:
    digits = raw.replace(".", "").replace(" ", "")
    if not digits.isdigit() or not 6 <= len(digits) <= 12:
        raise ValueError("an HS code has at least 6 digits (at most 12)")
    return digits


def _origin_criterion(raw: str) -> str:
    return " + ".join(str(part) for part in parse_origin_criterion(raw))


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
HsCode = Annotated[str, StringConstraints(max_length=20), AfterValidator(_hs_code)]
OriginCriterion = Annotated[
    str, StringConstraints(max_length=60), AfterValidator(_origin_criterion)
]


class _Strict(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class Quantity(_Strict):
    value: Decimal = Field(gt=0, max_digits=15, decimal_places=3)
    unit: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,3}$")]


class Money(_Strict):
    amount: Decimal = Field(ge=0, max_digits=15, decimal_places=2)
    currency: CurrencyCode


class GoodsLine(_Strict):
    hs_code: HsCode
    description: LongText
    packages: Text
    marks_and_numbers: Annotated[str, StringConstraints(max_length=300)] = ""
    quantity: Quantity
    gross_weight_kg: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=3)
    fob_value: Money | None = None
    origin_criterion: OriginCriterion | None = None


class Consignee(_Strict):
    name: Text
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    country: CountryCode


class Transport(_Strict):
    mode: Literal["sea", "air", "road", "rail", "multimodal"]
    vessel: Text | None = None
    flight: Annotated[str, StringConstraints(max_length=20)] | None = None
    vehicle: Text | None = None
    port_of_loading: Text
    port_of_discharge: Text
    departure_date: date


class Invoice(_Strict):
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    date: date


class ThirdCountryInvoicing(_Strict):
    invoicing_company: Text
    country: CountryCode
    invoice_number: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    invoice_date: date


class Producer(_Strict):
    """RCEP's producer box."""

    mode: Literal["same_as_exporter", "not_available", "confidential", "named"]
    name: Text | None = None
    address: Text | None = None


class Exporter(_Strict):
    """Box 1, copied from the trader profile when the dossier is submitted."""

    tax_code: str
    name: str
    name_vi: str
    address: str
    signatory: str


class Attachment(_Strict):
    id: str
    kind: AttachmentKind
    filename: str
    content_type: str
    declared_size: int
    key: str
    state: Literal["awaiting_upload", "received", "rejected"] = "awaiting_upload"
    size: int | None = None
    problem: str | None = None


class HistoryEvent(_Strict):
    dossier_id: str
    seq: int
    at: datetime
    actor: str
    from_status: Status | None
    to_status: Status
    reason: str = ""


RemarkCode = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
Lines = Annotated[list[GoodsLine], Field(max_length=MAX_LINES)]
Remarks = Annotated[list[RemarkCode], Field(max_length=10)]
Deferred = Annotated[list[AttachmentKind], Field(max_length=6)]


class AmendmentComment(_Strict):
    """A reviewer's comment on one field (a JSON pointer) or one attached document kind."""

    target: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    comment: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class RefusalReason(StrEnum):
    """Refusal grounds of Decree 31 (Art. 21), as a list the reviewer picks from."""

    NO_TRADER_PROFILE = "no_trader_profile"
    INCOMPLETE_DOSSIER = "incomplete_dossier"
    INCONSISTENT_DOSSIER = "inconsistent_dossier"
    ORIGIN_CRITERIA_NOT_MET = "origin_criteria_not_met"
    FORGED_DOCUMENTS = "forged_documents"
    TRADER_SUSPENDED = "trader_suspended"
    OTHER = "other"


class ReviewRecord(_Strict):
    """What review has said about the dossier so far; comments survive resubmission."""

    due_at: datetime | None = None
    reviewer: str | None = None
    overdue_flagged_at: datetime | None = None
    rounds: int = 0
    comments: list[AmendmentComment] = Field(default_factory=list, max_length=200)
    refusal_reason: RefusalReason | None = None
    refusal_text: str | None = None


class AttentionRecord(_Strict):
    """Why a workflow step stopped, for operations to act on."""

    step: str
    error: str
    cause: Annotated[str, StringConstraints(max_length=2000)] = ""
    at: datetime


class DossierContent(_Strict):
    """What the exporter fills in; every field may be empty while the dossier is a draft."""

    department_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_-]{2,20}$")] | None = None
    consignee: Consignee | None = None
    transport: Transport | None = None
    invoice: Invoice | None = None
    third_country_invoicing: ThirdCountryInvoicing | None = None
    producer: Producer | None = None
    remarks: Remarks = Field(default_factory=list)
    lines: Lines = Field(default_factory=list)
    deferred_attachments: Deferred = Field(default_factory=list)


class DraftRequest(DossierContent):
    form: Annotated[str, StringConstraints(min_length=1, max_length=10)]


class DossierUpdate(_Strict):
    """A partial update: only the fields present change; `null` clears an optional box."""

    department_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_-]{2,20}$")] | None = None
    consignee: Consignee | None = None
    transport: Transport | None = None
    invoice: Invoice | None = None
    third_country_invoicing: ThirdCountryInvoicing | None = None
    producer: Producer | None = None
    remarks: Remarks | None = None
    lines: Lines | None = None
    deferred_attachments: Deferred | None = None


class LinesRequest(_Strict):
    lines: Annotated[list[GoodsLine], Field(min_length=1, max_length=MAX_LINES)]


class Dossier(DossierContent):
    id: str
    trader_tax_code: str
    form: str
    status: Status = S.DRAFT
    attention_from: Status | None = None
    version: int = Field(ge=1, default=1)
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    exporter: Exporter | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    derived_remarks: list[str] = Field(default_factory=list)
    cloned_from: str | None = None
    attempt: int = 0
    review: ReviewRecord = Field(default_factory=lambda: ReviewRecord())
    attention: AttentionRecord | None = None
    receipt_attention: AttentionRecord | None = None
    signing_leader: str | None = None

    @property
    def importing_country(self) -> str | None:
        return self.consignee.country if self.consignee else None

    def changed(self, now: datetime, **fields: object) -> Dossier:
        """A validated copy with `fields` replaced and the version bumped."""
        payload = {**self.model_dump(), **fields, "version": self.version + 1, "updated_at": now}
        return Dossier.model_validate(payload)


# ---- lifecycle -----------------------------------------------------------------------------


def new_draft(
    request: DraftRequest,
    dossier_id: str,
    trader_tax_code: str,
    catalogue: Catalogue,
    now: datetime,
) -> Dossier:
    catalogue.form(request.form)
    dossier = Dossier(
        **request.model_dump(),
        id=dossier_id,
        trader_tax_code=trader_tax_code,
        created_at=now,
        updated_at=now,
    )
    raise_problems(content_problems(dossier, catalogue))
    return dossier


def creation_event(dossier: Dossier, actor: str) -> HistoryEvent:
    return HistoryEvent(
        dossier_id=dossier.id,
        seq=dossier.version,
        at=dossier.created_at,
        actor=actor,
        from_status=None,
        to_status=dossier.status,
        reason="created" if dossier.cloned_from is None else f"cloned from {dossier.cloned_from}",
    )


def transition(
    dossier: Dossier, to: Status, actor: str, reason: str, now: datetime
) -> tuple[Dossier, HistoryEvent]:
    """Move a dossier to `to` if its lifecycle allows it; a repeat or late move is refused."""
    if to not in allowed_next(dossier.status, dossier.attention_from):
        raise ConflictError(
            f"A dossier in status {dossier.status} cannot move to {to}",
            status=dossier.status.value,
        )

    attention_from = dossier.status if to == S.NEEDS_ATTENTION else None
    moved = dossier.changed(now, status=to, attention_from=attention_from)
    event = HistoryEvent(
        dossier_id=dossier.id,
        seq=moved.version,
        at=now,
        actor=actor,
        from_status=dossier.status,
        to_status=to,
        reason=reason,
    )
    return moved, event


def visible_to(dossier: Dossier, caller: Principal) -> bool:
    """Exporters see their trader's dossiers, department staff their department's, and
    operations and auditors every dossier."""
    if caller.role == Role.EXPORTER:
        return caller.tax_code is not None and caller.tax_code == dossier.trader_tax_code
    if caller.role in (Role.SPECIALIST, Role.LEADER):
        return caller.department is not None and caller.department == dossier.department_code
    return caller.role in (Role.OPERATIONS, Role.AUDITOR)


def ensure_editable(dossier: Dossier) -> None:
    # An exporter amends the same dossier when the reviewer asks for it.
    if dossier.status not in (S.DRAFT, S.AMENDMENT_REQUESTED):
        raise ConflictError(
            f"Only a draft can be changed; this dossier is {dossier.status}",
            status=dossier.status.value,
        )


def apply_update(
    dossier: Dossier, update: DossierUpdate, catalogue: Catalogue, now: datetime
) -> Dossier:
    ensure_editable(dossier)
    changed = dossier.changed(now, **update.model_dump(exclude_unset=True))
    raise_problems(content_problems(changed, catalogue))
    return changed


def add_lines(
    dossier: Dossier, lines: list[GoodsLine], catalogue: Catalogue, now: datetime
) -> Dossier:
    ensure_editable(dossier)
    if len(dossier.lines) + len(lines) > MAX_LINES:
        raise ValidationFailedError(
            problems=[FieldProblem("/lines", f"a dossier holds at most {MAX_LINES} goods lines")]
        )
    changed = dossier.changed(now, lines=[*dossier.lines, *lines])
    raise_problems(content_problems(changed, catalogue))
    return changed


def clone(source: Dossier, dossier_id: str, catalogue: Catalogue, now: datetime) -> Dossier:
    """A new draft with the same content and no attachments, dates or derived state."""
    content = DossierContent.model_validate(
        source.model_dump(include=set(DossierContent.model_fields))
    )
    return new_draft(
        DraftRequest(**content.model_dump(), form=source.form),
        dossier_id,
        source.trader_tax_code,
        catalogue,
        now,
    ).model_copy(update={"cloned_from": source.id})


# ---- rules ---------------------------------------------------------------------------------


def raise_problems(problems: list[FieldProblem]) -> None:
    if problems:
        raise ValidationFailedError(problems=problems)


def content_problems(dossier: Dossier, catalogue: Catalogue) -> list[FieldProblem]:
    """Problems with what is filled in so far, against the dossier's form."""
    form = catalogue.form(dossier.form)
    problems: list[FieldProblem] = []

    if dossier.consignee and not form.applies_to(dossier.consignee.country):
        problems.append(
            FieldProblem(
                "/consignee/country",
                f"{form.name} does not apply to imports into {dossier.consignee.country}",
            )
        )
    for index, remark in enumerate(dossier.remarks):
        problems.extend(_remark_problems(form, catalogue, remark, index))
    for index, kind in enumerate(dossier.deferred_attachments):
        required = form.requires_attachment(kind)
        if required is None or not required.may_defer:
            problems.append(
                FieldProblem(
                    json_pointer("deferred_attachments", index),
                    f"{kind} cannot be submitted later on {form.name}",
                )
            )
    for index, line in enumerate(dossier.lines):
        problems.extend(line_problems(form, line, index))
    return problems


def _remark_problems(
    form: Form, catalogue: Catalogue, remark: str, index: int
) -> list[FieldProblem]:
    pointer = json_pointer("remarks", index)
    if remark in catalogue.derived_remarks:
        return [FieldProblem(pointer, f"{remark} is set by the system, not by the exporter")]
    if remark not in form.remark_options:
        return [FieldProblem(pointer, f"{remark} is not a remark of {form.name}")]
    return []


def line_problems(form: Form, line: GoodsLine, index: int) -> list[FieldProblem]:
    def at(name: str) -> str:
        return json_pointer("lines", index, name)

    problems = []
    parts = parse_origin_criterion(line.origin_criterion) if line.origin_criterion else []
    criterion_level = form.line_field("origin_criterion")
    if criterion_level == "not_applicable" and parts:
        problems.append(
            FieldProblem(at("origin_criterion"), f"{form.name} has no origin criterion")
        )
    for message in criterion_problems(form, parts) if criterion_level != "not_applicable" else []:
        problems.append(FieldProblem(at("origin_criterion"), message))

    fob_level = form.line_field("fob_value")
    if fob_level == "not_applicable" and line.fob_value is not None:
        problems.append(FieldProblem(at("fob_value"), f"{form.name} shows no FOB value"))
    return problems


def completeness_problems(dossier: Dossier, catalogue: Catalogue) -> list[FieldProblem]:
    """What a submission still lacks: required boxes and required line fields."""
    form = catalogue.form(dossier.form)
    problems = []

    if dossier.department_code is None:
        problems.append(FieldProblem("/department_code", "choose the issuing department"))
    for box in form.required_boxes:
        if box != "exporter" and not getattr(dossier, box):
            problems.append(FieldProblem(json_pointer(box), f"{form.name} requires {box}"))
    for index, line in enumerate(dossier.lines):
        problems.extend(_missing_line_fields(form, line, index))
    return problems


def _missing_line_fields(form: Form, line: GoodsLine, index: int) -> list[FieldProblem]:
    parts = parse_origin_criterion(line.origin_criterion) if line.origin_criterion else []
    problems = []
    for name, level in form.line_fields.items():
        needed = level == "required" or (level == "with_rvc" and uses_rvc(parts))
        if needed and getattr(line, name, None) in (None, ""):
            why = " with an RVC criterion" if level == "with_rvc" else ""
            problems.append(
                FieldProblem(
                    json_pointer("lines", index, name), f"{form.name} requires {name}{why}"
                )
            )
    return problems


def printed_line_fields(form: Form, line: GoodsLine) -> set[str]:
    """Line fields the certificate shows: `with_rvc` fields only on RVC lines."""
    parts = parse_origin_criterion(line.origin_criterion) if line.origin_criterion else []
    shown = {"required", "optional"} | ({"with_rvc"} if uses_rvc(parts) else set())
    return {name for name, level in form.line_fields.items() if level in shown}


def vietnam_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def derived_remarks(dossier: Dossier, form: Form, issued_on: date) -> list[str]:
    """Remarks the system sets: third-country invoicing and retroactive issuance.

    Refuses (RuleViolationError) an issuance beyond the form's retroactive limit.
    """
    remarks = []
    if dossier.third_country_invoicing and "third_country_invoicing" in form.remark_options:
        remarks.append("third_country_invoicing")

    rule = form.retroactive
    if rule is None or dossier.transport is None:
        return remarks
    days_after = (issued_on - dossier.transport.departure_date).days
    if days_after > rule.max_days:
        raise RuleViolationError(
            f"{form.name} cannot be issued more than {rule.max_days} days after departure; "
            f"the goods left on {dossier.transport.departure_date.isoformat()}, "
            f"{days_after} days before {issued_on.isoformat()}",
            days_after_departure=days_after,
        )
    if days_after > rule.after_days:
        remarks.append(rule.remark)
    return remarks


def missing_attachments(dossier: Dossier, form: Form) -> list[str]:
    received = {a.kind for a in dossier.attachments if a.state == "received"}
    deferred = set(dossier.deferred_attachments)
    return [
        required.kind
        for required in form.required_attachments
        if required.kind not in received and required.kind not in deferred
    ]
