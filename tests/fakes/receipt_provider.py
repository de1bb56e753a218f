"""An in-memory ReceiptProvider that can be told to be unavailable."""

from __future__ import annotations

from collections import Counter

from chalicelib.domain.errors import TransientError
from chalicelib.domain.receipt_provider import PublishedReceipt
from chalicelib.domain.receipts import Receipt


class FakeReceiptProvider:
    name = "fake"

    def __init__(self, issues_legal_receipts: bool = True) -> None:
        self.issues_legal_receipts = issues_legal_receipts
        self.filed: dict[str, Receipt] = {}
        self.cancelled: dict[str, str] = {}
        self.calls: Counter[str] = Counter()
        self.outages = 0
        self.lost_answers = 0

    def publish(self, receipt: Receipt) -> PublishedReceipt:
        return self._file("publish", receipt)

    def adjust(self, adjustment: Receipt) -> PublishedReceipt:
        return self._file("adjust", adjustment)

    def replace(self, replacement: Receipt) -> PublishedReceipt:
        return self._file("replace", replacement)

    def cancel(self, receipt: Receipt, reason: str) -> None:
        self.calls["cancel"] += 1
        self.cancelled[receipt.key.provider_key] = reason

    def lookup(self, provider_key: str) -> PublishedReceipt | None:
        self.calls["lookup"] += 1
        return _published(provider_key) if provider_key in self.filed else None

    def _file(self, operation: str, receipt: Receipt) -> PublishedReceipt:
        self.calls[operation] += 1
        if self.outages:
            self.outages -= 1
            raise TransientError("fake provider unavailable")
        self.filed[receipt.key.provider_key] = receipt
        if self.lost_answers:
            self.lost_answers -= 1
            raise TransientError("fake provider answer lost")
        return _published(receipt.key.provider_key)


def _published(provider_key: str) -> PublishedReceipt:
    return PublishedReceipt(
        provider_key=provider_key, provider="fake", signature_reference=f"fake:{provider_key}"
    )
