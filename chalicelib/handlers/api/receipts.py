"""Receipt routes: the exporter downloads a dossier's receipt; operations correct and report."""

from __future__ import annotations

from datetime import date, datetime

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.identity import Access, Role
from chalicelib.domain.receipts import (
    FeeCharge,
    Payer,
    Receipt,
    ReceiptKey,
    ReceiptKind,
    ReceiptStatus,
    UsagePeriod,
    UsageReport,
)
from chalicelib.handlers.api.routing import Call, Reply, endpoint
from chalicelib.services import receipts
from chalicelib.wiring import container

blueprint = Blueprint(__name__)

EXPORTER = Access.only(Role.EXPORTER)
OPERATIONS = Access.only(Role.OPERATIONS)
REPORT_READERS = Access.only(Role.OPERATIONS, Role.AUDITOR)
DOWNLOAD_SECONDS = 300


class ReceiptNumber(BaseModel):
    """Which receipt a dossier's fee got: form number, series and 7-digit number."""

    model_config = ConfigDict(defer_build=True)
    form_number: str
    series: str
    number: str
    test_receipt: bool

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptNumber:
        key = receipt.key
        return cls(form_number=key.form_number, series=key.series, number=key.number_text,
                   test_receipt=receipt.test_receipt)  # fmt: skip


class ReceiptView(BaseModel):
    model_config = ConfigDict(defer_build=True)
    form_number: str
    series: str
    number: str
    status: ReceiptStatus
    kind: ReceiptKind
    replaces_or_adjusts: str | None
    issued_at: datetime
    payer_name: str
    fee_name: str
    amount: int
    amount_in_words: str
    test_receipt: bool
    dossier_id: str | None

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptView:
        return cls(
            form_number=receipt.key.form_number,
            series=receipt.key.series,
            number=receipt.key.number_text,
            status=receipt.status,
            kind=receipt.kind,
            replaces_or_adjusts=receipt.original.provider_key if receipt.original else None,
            issued_at=receipt.issued_at,
            payer_name=receipt.payer.name,
            fee_name=receipt.fee.name,
            amount=receipt.fee.amount,
            amount_in_words=receipt.amount_in_words,
            test_receipt=receipt.test_receipt,
            dossier_id=receipt.dossier_id,
        )


class ReceiptDownload(BaseModel):
    model_config = ConfigDict(defer_build=True)
    receipt: ReceiptView
    pdf_url: str | None
    xml_url: str | None
    expires_in: int


class _Body(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class CorrectionRequest(_Body):
    reason: str = Field(min_length=3, max_length=500)
    payer: Payer | None = None
    fee: FeeCharge | None = None


class CancellationRequest(_Body):
    reason: str = Field(min_length=3, max_length=500)


class UsageQuery(BaseModel):
    model_config = ConfigDict(defer_build=True, populate_by_name=True)

    first_day: date = Field(alias="from")
    last_day: date = Field(alias="to")


@endpoint(
    blueprint,
    "/dossiers/{dossier_id}/receipt",
    "GET",
    access=EXPORTER,
    summary="The dossier's receipt in force, with short-lived download links",
    response=ReceiptDownload,
    tags=("exporter",),
)
def dossier_receipt(call: Call, dossier_id: str) -> ReceiptDownload:
    deps = container()
    receipt = receipts.receipt_for_exporter(
        dossier_id, call.caller.tax_code, store=deps.receipt_store
    )
    files = deps.receipt_files
    # NOTE: VNPT receipts have no links: PublishService has no download operation (the file
    # is fetched from VNPT's portal service, whose specification the department must supply).
    return ReceiptDownload(
        receipt=ReceiptView.of(receipt),
        pdf_url=files.download_url(receipt.pdf_key, DOWNLOAD_SECONDS),
        xml_url=files.download_url(receipt.xml_key, DOWNLOAD_SECONDS),
        expires_in=DOWNLOAD_SECONDS,
    )


@endpoint(
    blueprint,
    "/receipts/{form_number}/{series}/{number}/replacement",
    "POST",
    access=OPERATIONS,
    summary="Replace a receipt; the replacement names the original",
    body=CorrectionRequest,
    response=ReceiptView,
    status=201,
    tags=("operations",),
)
def replace(call: Call, form_number: str, series: str, number: str) -> Reply:
    key = _key(form_number, series, number)
    request: CorrectionRequest = call.body
    replacement = receipts.replace_receipt(
        key,
        actor=call.caller.actor,
        reason=request.reason,
        payer=request.payer,
        fee=request.fee,
        desk=_desk_of(key),
    )
    return Reply(ReceiptView.of(replacement), status=201)


@endpoint(
    blueprint,
    "/receipts/{form_number}/{series}/{number}/cancellation",
    "POST",
    access=OPERATIONS,
    summary="Cancel a receipt, with the reason",
    body=CancellationRequest,
    response=ReceiptView,
    tags=("operations",),
)
def cancel(call: Call, form_number: str, series: str, number: str) -> ReceiptView:
    key = _key(form_number, series, number)
    request: CancellationRequest = call.body
    cancelled = receipts.cancel_receipt(
        key, actor=call.caller.actor, reason=request.reason, desk=_desk_of(key)
    )
    return ReceiptView.of(cancelled)


@endpoint(
    blueprint,
    "/receipts/{form_number}/{series}/usage",
    "GET",
    access=REPORT_READERS,
    summary="Use of a receipt series over a period of Vietnam days",
    query=UsageQuery,
    response=UsageReport,
    tags=("operations",),
)
def usage(call: Call, form_number: str, series: str) -> UsageReport:
    query: UsageQuery = call.query
    period = _period(query)
    return receipts.usage_report(form_number, series, period, store=container().receipt_store)


def _desk_of(key: ReceiptKey) -> receipts.ReceiptDesk:
    deps = container()
    return deps.receipt_desk(deps.receipt_store.require(key).collector)


def _key(form_number: str, series: str, number: str) -> ReceiptKey:
    try:
        return ReceiptKey(form_number=form_number, series=series, number=int(number))
    except (ValueError, ValidationError) as error:
        raise NotFoundError("No such receipt") from error


def _period(query: UsageQuery) -> UsagePeriod:
    from chalicelib.domain.errors import FieldProblem, ValidationFailedError

    try:
        return UsagePeriod(first_day=query.first_day, last_day=query.last_day)
    except ValidationError as error:
        problem = FieldProblem("/query/to", "the period ends before it starts")
        raise ValidationFailedError(problems=[problem]) from error
