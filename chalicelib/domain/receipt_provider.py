"""Ports to whoever makes a receipt legal: the receipt provider and the PDF signer."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.receipts import Receipt


class PublishedReceipt(BaseModel):
    """What a provider answers once it holds a receipt under its unique key."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    provider_key: str
    provider: str
    signature_reference: str
    xml_key: str | None = None
    pdf_key: str | None = None


class ReceiptProvider(Protocol):
    """Publishes receipts and their corrections; each is filed under `key.provider_key`.

    Every method is safe to call again with the same receipt. Faults a retry may fix raise
    `TransientError`; refusals raise `ReceiptProviderError`.
    """

    name: str
    issues_legal_receipts: bool

    def publish(self, receipt: Receipt) -> PublishedReceipt: ...

    def adjust(self, adjustment: Receipt) -> PublishedReceipt: ...

    def replace(self, replacement: Receipt) -> PublishedReceipt: ...

    def cancel(self, receipt: Receipt, reason: str) -> None: ...

    def lookup(self, provider_key: str) -> PublishedReceipt | None: ...


class PdfSigner(Protocol):
    """Signs a PDF with the collector's key; `reference` names the signing certificate."""

    @property
    def reference(self) -> str: ...

    def sign(self, pdf: bytes) -> bytes: ...
