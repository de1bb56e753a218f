"""Receipt use cases: issue one per payment, replace, adjust, cancel, report use of a series.

Errors are the workflow's contract: `TransientError` (provider or table briefly unavailable)
is retried with backoff by the state machine; `ReceiptProviderError` (refused for good) and a
`TransientError` that outlasts its retries leave the receipt step `needs_attention`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict

from chalicelib.domain.errors import ConflictError, NotFoundError, RuleViolationError
from chalicelib.domain.receipt_provider import PublishedReceipt, ReceiptProvider
from chalicelib.domain.receipts import (
    Collector,
    FeeCharge,
    Payer,
    Receipt,
    ReceiptAction,
    ReceiptDraft,
    ReceiptKey,
    ReceiptKind,
    ReceiptProviderSetup,
    ReceiptStatus,
    UsagePeriod,
    UsageReport,
    correction_of,
    usage_report_of,
)

if TYPE_CHECKING:
    from chalicelib.adapters.receipt_store import ReceiptStore
    from chalicelib.domain.departments import Department
    from chalicelib.domain.traders import TraderProfile

logger = Logger(service="receipts")


@dataclass(frozen=True)
class ReceiptDesk:
    """The ports a receipt use case needs: the store, the department's provider, a clock."""

    store: ReceiptStore
    provider: ReceiptProvider
    now: Callable[[], datetime]


class ReceiptOrder(BaseModel):
    """What the receipt step needs to know about a paid dossier."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    dossier_id: str
    payment_reference: str
    collector: Collector
    payer: Payer
    fee: FeeCharge


class ReceiptOrders(Protocol):
    """Reads a dossier's order from its dossier, trader, department and payment.

    None means no receipt is due (the department does not issue e-receipts yet).
    """

    def order_for(self, dossier_id: str) -> ReceiptOrder | None: ...


def issue_receipt(
    dossier_id: str, *, orders: ReceiptOrders, desk_for: Callable[[Collector], ReceiptDesk]
) -> str | None:
    """The receipt step of the workflow: issues the dossier's receipt, returns its key."""
    order = orders.order_for(dossier_id)
    if order is None:
        logger.info("no receipt due", dossier_id=dossier_id)
        return None
    receipt = issue_receipt_for_payment(
        order.payment_reference,
        collector=order.collector,
        payer=order.payer,
        fee=order.fee,
        dossier_id=order.dossier_id,
        desk=desk_for(order.collector),
    )
    return receipt.key.provider_key


def collector_of(department: Department, provider: ReceiptProviderSetup | None = None) -> Collector:
    """The department as the collector on its receipts; its series letters without the year.

    The provider is the department's own (its receipt settings) unless one is given.
    """
    from chalicelib.domain.departments import DepartmentState

    if department.receipt is None or department.tax_code is None:
        raise RuleViolationError(
            "The department has no receipt series or tax code", department=department.code
        )
    return Collector(
        department=department.code,
        name=department.name_vi,
        tax_code=department.tax_code,
        form_number=department.receipt.form_number,
        series_letters=re.sub(r"\d+$", "", department.receipt.series),
        sandbox=department.state is not DepartmentState.LIVE,
        provider=provider or department.receipt.provider or ReceiptProviderSetup(),
    )


def payer_of(trader: TraderProfile) -> Payer:
    return Payer(name=trader.name_vi, tax_code=trader.tax_code, address=trader.address)


def issue_receipt_for_payment(
    payment_reference: str,
    *,
    collector: Collector,
    payer: Payer,
    fee: FeeCharge,
    dossier_id: str | None,
    desk: ReceiptDesk,
) -> Receipt:
    """Issues the one receipt of a payment; a repeat returns it and publishes nothing new."""
    _check_provider(collector, desk.provider)
    receipt = desk.store.receipt_for_payment(payment_reference)
    if receipt is None:
        draft = ReceiptDraft(
            collector=collector,
            payer=payer,
            fee=fee,
            issued_at=desk.now(),
            payment_reference=payment_reference,
            dossier_id=dossier_id,
            test_receipt=not desk.provider.issues_legal_receipts,
        )
        receipt = desk.store.issue(draft)

    if receipt.status is not ReceiptStatus.ALLOCATED:
        return receipt
    return _publish(receipt, desk, desk.provider.publish)


def replace_receipt(
    key: ReceiptKey,
    *,
    actor: str,
    reason: str,
    desk: ReceiptDesk,
    payer: Payer | None = None,
    fee: FeeCharge | None = None,
) -> Receipt:
    """Issues a replacement that names `key`; the original is marked replaced, audited."""
    return _correct(key, ReceiptKind.REPLACEMENT, actor, reason, desk, payer, fee)


def adjust_receipt(
    key: ReceiptKey,
    *,
    actor: str,
    reason: str,
    desk: ReceiptDesk,
    payer: Payer | None = None,
    fee: FeeCharge | None = None,
) -> Receipt:
    """Issues an adjustment that names `key`; the original is marked adjusted, audited."""
    return _correct(key, ReceiptKind.ADJUSTMENT, actor, reason, desk, payer, fee)


def cancel_receipt(key: ReceiptKey, *, actor: str, reason: str, desk: ReceiptDesk) -> Receipt:
    """Cancels a receipt at the provider, then records it with who did it and why."""
    receipt = desk.store.require(key)
    if receipt.status is ReceiptStatus.CANCELLED:
        return receipt
    if receipt.status not in (ReceiptStatus.PUBLISHED, ReceiptStatus.ALLOCATED):
        raise ConflictError("Only a receipt in force can be cancelled", status=receipt.status)

    if receipt.status is ReceiptStatus.PUBLISHED or desk.provider.lookup(key.provider_key):
        desk.provider.cancel(receipt, reason)
    action = ReceiptAction(actor=actor, reason=reason, at=desk.now())
    return desk.store.cancel(key, action)


def receipt_for_exporter(dossier_id: str, tax_code: str | None, *, store: ReceiptStore) -> Receipt:
    """The dossier's receipt in force, shown only to the trader who paid it."""
    receipt = store.receipt_of_dossier(dossier_id)
    if receipt is None or tax_code is None or receipt.payer.tax_code != tax_code:
        raise NotFoundError("No receipt for this dossier", dossier_id=dossier_id)
    return receipt


def usage_report(
    form_number: str, series: str, period: UsagePeriod, *, store: ReceiptStore
) -> UsageReport:
    """Numbers of a series used over a period: issued, cancelled, first, last, remaining after
    the period, and the total amount."""
    receipts = store.in_series(form_number, series, period)
    highest = store.highest_number_until(form_number, series, period.last_day)
    return usage_report_of(form_number, series, period, receipts, highest)


def _correct(
    key: ReceiptKey,
    kind: ReceiptKind,
    actor: str,
    reason: str,
    desk: ReceiptDesk,
    payer: Payer | None,
    fee: FeeCharge | None,
) -> Receipt:
    original = desk.store.require(key)
    _check_provider(original.collector, desk.provider)
    at = desk.now()
    draft = correction_of(original, kind, fee or original.fee, payer or original.payer, at)
    action = ReceiptAction(actor=actor, reason=reason, at=at)

    correction = desk.store.issue_correction(draft, action)
    logger.info("receipt corrected", receipt=key.provider_key, kind=kind.value, actor=actor)
    if correction.status is not ReceiptStatus.ALLOCATED:
        return correction
    send = desk.provider.replace if kind is ReceiptKind.REPLACEMENT else desk.provider.adjust
    return _publish(correction, desk, send)


def _publish(
    receipt: Receipt, desk: ReceiptDesk, send: Callable[[Receipt], PublishedReceipt]
) -> Receipt:
    """Sends an allocated receipt; an earlier try may have reached the provider, so look first."""
    earlier_attempts = desk.store.record_publish_attempt(receipt.key)
    published = None
    if earlier_attempts:
        published = desk.provider.lookup(receipt.key.provider_key)
    if published is None:
        published = send(receipt)
    logger.info("receipt published", receipt=receipt.key.provider_key, provider=published.provider)
    return desk.store.mark_published(receipt, published)


def _check_provider(collector: Collector, provider: ReceiptProvider) -> None:
    if collector.sandbox and provider.issues_legal_receipts:
        raise RuleViolationError(
            "A sandbox department issues test receipts only", department=collector.department
        )
