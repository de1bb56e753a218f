"""The exporter's routes: the trader profile, and dossiers from draft to withdrawal.

Exporters act for the tax code in their token; another trader's dossier answers 404. Routes
that create or add (traders, dossiers, clones, goods lines, attachments) accept an
`Idempotency-Key` header and run once per key for 24 hours.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.adapters.idempotency_store import StoredResponse
from chalicelib.domain.attachments import UploadRequest
from chalicelib.domain.dossiers import (
    Attachment,
    Dossier,
    DossierUpdate,
    DraftRequest,
    HistoryEvent,
    LinesRequest,
    Status,
)
from chalicelib.domain.errors import (
    BadRequestError,
    FieldProblem,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
)
from chalicelib.domain.goods_csv import MAX_CSV_BYTES
from chalicelib.domain.identity import Access, Principal, Role
from chalicelib.domain.traders import TraderDetails, TraderProfile, TraderRegistration
from chalicelib.handlers.api.receipts import ReceiptNumber
from chalicelib.handlers.api.routing import Call, Reply, endpoint
from chalicelib.services.idempotency import request_hash, run_once
from chalicelib.wiring import container

blueprint = Blueprint(__name__)

EXPORTER = Access.only(Role.EXPORTER)
DOSSIER_READERS = Access.only(
    Role.EXPORTER, Role.SPECIALIST, Role.LEADER, Role.OPERATIONS, Role.AUDITOR
)
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")


class _Body(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class TraderView(TraderRegistration):
    """The profile as shown, with the date by which it must be confirmed again."""

    last_confirmed_on: date
    renewal_due_on: date
    version: int
    created_at: datetime
    updated_at: datetime


class DossierWithHistory(_Body):
    dossier: Dossier
    history: list[HistoryEvent]
    receipt: ReceiptNumber | None = None


class DossierPage(_Body):
    items: list[Dossier]
    next_cursor: str | None = None


class DossierQuery(_Body):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2000)
    status: Status | None = None
    form: str | None = Field(default=None, min_length=1, max_length=10)


class WithdrawRequest(_Body):
    reason: str = Field(default="", max_length=500)


class UploadForm(_Body):
    attachment: Attachment
    url: str
    fields: dict[str, str]


# ---- trader profile ----------------------------------------------------------------------


@endpoint(
    blueprint,
    "/traders",
    "POST",
    access=EXPORTER,
    summary="Register my trader profile",
    body=TraderRegistration,
    response=TraderView,
    status=201,
    tags=("traders",),
    idempotent=True,
)
def register_trader(call: Call) -> Reply:
    registration: TraderRegistration = call.body
    tax_code, test_trader = _tax_code(call), call.caller.test_trader

    def action() -> BaseModel:
        profile = container().trader_service.register(registration, tax_code, test_trader)
        return _trader_view(profile)

    return _once(call, "/traders", registration, 201, action)


@endpoint(
    blueprint,
    "/traders/{tax_code}",
    "GET",
    access=EXPORTER,
    summary="Read my trader profile, with its renewal date",
    response=TraderView,
    tags=("traders",),
)
def read_trader(call: Call, tax_code: str) -> TraderView:
    return _trader_view(container().trader_service.get(_own_tax_code(call, tax_code)))


@endpoint(
    blueprint,
    "/traders/{tax_code}",
    "PUT",
    access=EXPORTER,
    summary="Update and thereby confirm my trader profile",
    body=TraderDetails,
    response=TraderView,
    tags=("traders",),
)
def update_trader(call: Call, tax_code: str) -> TraderView:
    own = _own_tax_code(call, tax_code)
    return _trader_view(container().trader_service.update(own, call.body))


# ---- dossiers ----------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/dossiers",
    "POST",
    access=EXPORTER,
    summary="Create a draft dossier",
    body=DraftRequest,
    response=Dossier,
    status=201,
    tags=("dossiers",),
    idempotent=True,
)
def create_dossier(call: Call) -> Reply:
    request: DraftRequest = call.body
    tax_code, actor = _tax_code(call), call.caller.actor

    def action() -> BaseModel:
        return container().dossier_service.create(tax_code, actor, request)

    return _once(call, "/dossiers", request, 201, action)


@endpoint(
    blueprint,
    "/dossiers",
    "GET",
    access=EXPORTER,
    summary="List my dossiers, newest first, by status and form",
    query=DossierQuery,
    response=DossierPage,
    tags=("dossiers",),
)
def list_dossiers(call: Call) -> DossierPage:
    query: DossierQuery = call.query
    items, cursor = container().dossier_service.list_mine(
        _tax_code(call), query.limit, query.cursor, query.status, query.form
    )
    return DossierPage(items=items, next_cursor=cursor)


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}",
    "GET",
    access=DOSSIER_READERS,
    summary="Read a dossier with its history of transitions",
    response=DossierWithHistory,
    tags=("dossiers",),
)
def read_dossier(call: Call, dossier_id: str) -> DossierWithHistory:
    deps = container()
    dossier, history = deps.dossier_service.read(call.caller, dossier_id)
    # A draft has paid nothing, so it has no receipt to look up.
    unpaid = dossier.status is Status.DRAFT
    receipt = None if unpaid else deps.receipt_store.receipt_of_dossier(dossier.id)
    return DossierWithHistory(
        dossier=dossier, history=history, receipt=ReceiptNumber.of(receipt) if receipt else None
    )


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}",
    "PATCH",
    access=EXPORTER,
    summary="Change a draft; fields present replace, null clears",
    body=DossierUpdate,
    response=Dossier,
    tags=("dossiers",),
)
def update_dossier(call: Call, dossier_id: str) -> Dossier:
    return container().dossier_service.update(_tax_code(call), dossier_id, call.body)


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/lines",
    "POST",
    access=EXPORTER,
    summary="Add goods lines",
    body=LinesRequest,
    response=Dossier,
    tags=("dossiers",),
    idempotent=True,
)
def add_lines(call: Call, dossier_id: str) -> Reply:
    request: LinesRequest = call.body
    tax_code = _tax_code(call)

    def action() -> BaseModel:
        return container().dossier_service.add_lines(tax_code, dossier_id, request.lines)

    return _once(call, f"/dossiers/{dossier_id}/lines", request, 200, action)


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/lines/csv",
    "POST",
    access=EXPORTER,
    summary="Add goods lines from a CSV file (all rows or none, each bad row reported)",
    response=Dossier,
    content_types=("text/csv",),
    tags=("dossiers",),
    idempotent=True,
)
def import_lines(call: Call, dossier_id: str) -> Reply:
    text, tax_code = _csv_text(call), _tax_code(call)

    def action() -> BaseModel:
        return container().dossier_service.import_lines_csv(tax_code, dossier_id, text)

    return _once(call, f"/dossiers/{dossier_id}/lines/csv", text, 200, action)


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/clone",
    "POST",
    access=EXPORTER,
    summary="Copy one of my dossiers into a new draft",
    response=Dossier,
    status=201,
    tags=("dossiers",),
    idempotent=True,
)
def clone_dossier(call: Call, dossier_id: str) -> Reply:
    tax_code, actor = _tax_code(call), call.caller.actor

    def action() -> BaseModel:
        return container().dossier_service.clone(tax_code, actor, dossier_id)

    return _once(call, f"/dossiers/{dossier_id}/clone", None, 201, action)


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/attachments",
    "POST",
    access=EXPORTER,
    summary="Get a presigned upload form for one document (PDF, JPEG, PNG, XML; 10 MB)",
    body=UploadRequest,
    response=UploadForm,
    status=201,
    tags=("dossiers",),
    idempotent=True,
)
def request_upload(call: Call, dossier_id: str) -> Reply:
    request: UploadRequest = call.body
    tax_code = _tax_code(call)

    def action() -> BaseModel:
        upload = container().dossier_service.request_upload(tax_code, dossier_id, request)
        return UploadForm(attachment=upload.attachment, url=upload.url, fields=upload.fields)

    # NOTE: a replay returns the first upload form, whose presigned URL expires sooner than
    # the key; after that a client asks again under a new key.
    return _once(call, f"/dossiers/{dossier_id}/attachments", request, 201, action)


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/submit",
    "POST",
    access=EXPORTER,
    summary="Submit a draft to its issuing department",
    response=Dossier,
    tags=("dossiers",),
)
def submit_dossier(call: Call, dossier_id: str) -> Dossier:
    return container().dossier_service.submit(_tax_code(call), call.caller.actor, dossier_id)


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/withdraw",
    "POST",
    access=EXPORTER,
    summary="Withdraw a dossier before review",
    body=WithdrawRequest,
    response=Dossier,
    tags=("dossiers",),
)
def withdraw_dossier(call: Call, dossier_id: str) -> Dossier:
    request: WithdrawRequest = call.body
    service = container().dossier_service
    return service.withdraw(_tax_code(call), call.caller.actor, dossier_id, request.reason)


# ---- steps -------------------------------------------------------------------------------


def _tax_code(call: Call) -> str:
    tax_code = call.caller.tax_code
    if not tax_code:
        raise ForbiddenError("The token names no trader tax code")
    return tax_code


def _own_tax_code(call: Call, tax_code: str) -> str:
    """Another trader's profile is answered like a missing one."""
    own = _tax_code(call)
    if tax_code != own:
        raise NotFoundError("No trader profile is registered for this tax code")
    return own


def _trader_view(profile: TraderProfile) -> TraderView:
    return TraderView.model_validate(profile.public_view())


def _once(
    call: Call,
    path: str,
    body: BaseModel | str | None,
    status: int,
    action: Callable[[], BaseModel],
) -> Reply:
    """Run `action` once per Idempotency-Key; a retry gets the first response."""
    key = _idempotency_key(call)
    content = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    fingerprint = request_hash("POST", path, content)
    stored = run_once(
        container().idempotency_store,
        _idempotency_scope(call.caller),
        key,
        fingerprint,
        call.now,
        lambda: StoredResponse(status, action().model_dump(mode="json")),
    )
    return Reply(stored.body, stored.status_code)


def _idempotency_key(call: Call) -> str | None:
    key = call.header("idempotency-key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.match(key):
        problem = FieldProblem(
            "/headers/Idempotency-Key", "1 to 100 visible ASCII characters without spaces"
        )
        raise ValidationFailedError("The Idempotency-Key header is invalid", [problem])
    return key


def _idempotency_scope(caller: Principal) -> str:
    # Keys belong to the trader, so that a retry with a fresh token still finds its key.
    return f"{caller.role.value}:{caller.tax_code or caller.subject}"


def _csv_text(call: Call) -> str:
    content_type = (call.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "text/csv":
        raise UnsupportedMediaTypeError("Send the goods lines as text/csv")
    if not call.raw_body:
        raise BadRequestError("The request needs a CSV file as its body")
    if len(call.raw_body) > MAX_CSV_BYTES:
        raise PayloadTooLargeError("A goods lines file may have at most 2 MB")
    try:
        return call.raw_body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequestError("The CSV file is not UTF-8 text") from exc
