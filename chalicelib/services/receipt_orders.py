"""The receipt step's view of a paid dossier: payer, collector, fee and payment reference."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.dossiers import vietnam_day
from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.domain.payments import PaymentStatus
from chalicelib.domain.receipts import FeeCharge
from chalicelib.services.receipts import (
    ReceiptOrder,
    collector_of,
    issue_receipt,
    payer_of,
)

FEE_NAME = "Phí cấp giấy chứng nhận xuất xứ hàng hóa (C/O)"


class DossierReceiptOrders:
    def __init__(self, deps: Any) -> None:
        self._deps = deps

    def order_for(self, dossier_id: str) -> ReceiptOrder | None:
        deps = self._deps
        dossier = deps.dossier_store.get_dossier(dossier_id)
        if dossier is None or dossier.department_code is None:
            raise NotFoundError(f"No dossier {dossier_id}")
        department = deps.departments.get(dossier.department_code)
        if not department.issues_e_receipts_on(vietnam_day(deps.clock())):
            return None
        payment = deps.payments.store.order_for_dossier(dossier_id)
        if payment is None:
            return None
        if payment.status is not PaymentStatus.PAID:
            # A receipt says the fee was received; an order still awaiting it gets none.
            raise ConflictError(
                "The dossier's fee is not paid; no receipt is due yet", dossier_id=dossier_id
            )
        trader = deps.dossier_store.get_trader(dossier.trader_tax_code)
        if trader is None:
            raise NotFoundError(f"No trader {dossier.trader_tax_code}")
        return ReceiptOrder(
            dossier_id=dossier_id,
            payment_reference=payment.payment_reference,
            collector=collector_of(department),
            payer=payer_of(trader),
            fee=FeeCharge(name=FEE_NAME, amount=int(payment.amount_vnd)),
        )


def issue_receipt_for_dossier(deps: Any, dossier_id: str) -> str | None:
    return issue_receipt(dossier_id, orders=DossierReceiptOrders(deps), desk_for=deps.receipt_desk)
