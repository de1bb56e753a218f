"""What a certificate of origin prints, the record kept for it, and public verification rules.

`CertificateContent` is independent of the dossier model: the issuance workflow maps an
approved dossier into it, and the PDF renderer prints exactly what it holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.domain.errors import ConflictError

FORMS = (
    "B", "D", "E", "AK", "VK", "AJ", "VJ", "AI", "AANZ", "AHK", "RCEP", "CPTPP",
    "EUR.1", "EUR.1 UK", "EAV", "VC", "S", "X",
)  # fmt: skip
FormCode = Literal[
    "B", "D", "E", "AK", "VK", "AJ", "VJ", "AI", "AANZ", "AHK", "RCEP", "CPTPP",
    "EUR.1", "EUR.1 UK", "EAV", "VC", "S", "X",
]  # fmt: skip


class _Printed(BaseModel):
    model_config = ConfigDict(
        defer_build=True, frozen=True, extra="forbid", str_strip_whitespace=True
    )


class Party(_Printed):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=300)
    country: str = Field(min_length=1, max_length=60, description="printed country name")
    local_name: str | None = Field(default=None, max_length=200, description="Vietnamese name")


class Transport(_Printed):
    departure_date: date
    mode: Literal["sea", "air", "road", "rail", "multimodal"]
    vessel_or_flight: str = Field(default="", max_length=100)
    port_of_loading: str = Field(max_length=150)
    port_of_discharge: str = Field(max_length=150)


class GoodsLine(_Printed):
    item_number: int = Field(ge=1)
    marks_and_numbers: str = Field(max_length=300)
    packages_and_description: str = Field(min_length=1, max_length=1000)
    hs_code: str = Field(pattern=r"^\d{4}\.?\d{2}(\.?\d{2,4})?$")
    origin_criterion: str | None = Field(default=None, max_length=40)
    gross_weight_kg: Decimal | None = Field(default=None, ge=0)
    quantity: Decimal | None = Field(default=None, ge=0)
    quantity_unit: str = Field(default="", max_length=10)
    fob_amount: Decimal | None = Field(default=None, ge=0)
    fob_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


class Invoice(_Printed):
    number: str = Field(min_length=1, max_length=60)
    date: date


class ThirdCountryInvoice(_Printed):
    invoicing_company: str = Field(max_length=200)
    country: str = Field(max_length=60)
    invoice_number: str = Field(max_length=60)
    invoice_date: date


class Remarks(_Printed):
    """The remark ticks and texts a form may carry."""

    issued_retroactively: bool = False
    third_country_invoicing: bool = False
    exhibition: bool = False
    back_to_back: bool = False
    accumulation: bool = False
    partial_cumulation: bool = False
    de_minimis: bool = False
    duplicate_of_issue_date: date | None = Field(
        default=None, description="set on a duplicate: the original's issue date"
    )
    replacement_of: str | None = Field(default=None, description="reference number replaced")
    free_text: str = Field(default="", max_length=500)


class CertificateContent(_Printed):
    """Everything printed on one certificate of origin."""

    form: FormCode
    reference_number: str
    exporter: Party
    consignee: Party
    producer: str | None = Field(default=None, max_length=300)
    transport: Transport
    goods: list[GoodsLine] = Field(min_length=1, max_length=500)
    invoice: Invoice
    third_country_invoice: ThirdCountryInvoice | None = None
    remarks: Remarks = Remarks()
    exporting_country: str = "VIET NAM"
    importing_country: str = Field(description="printed name of the importing country")
    importing_country_code: str = Field(pattern=r"^[A-Z]{2}$")
    place_of_issue: str = Field(max_length=100)
    issue_date: date
    declaration_place: str = Field(max_length=100)
    declaration_date: date
    signer_name: str | None = Field(
        default=None,
        max_length=100,
        description="printed under the signature; None until a leader has approved signing",
    )
    signer_title: str = Field(default="", max_length=100)
    department_name: str = Field(max_length=200)
    sandbox: bool = False
    verification_url: str = Field(pattern=r"^https?://\S+$")

    @field_validator("goods")
    @classmethod
    def _items_numbered_in_order(cls, goods: list[GoodsLine]) -> list[GoodsLine]:
        numbers = [line.item_number for line in goods]
        if numbers != list(range(1, len(goods) + 1)):
            raise ValueError("goods lines must be numbered 1..n in order")
        return goods

    @property
    def goods_summary(self) -> str:
        return goods_summary(self.goods)


def goods_summary(goods: list[GoodsLine]) -> str:
    """A short public description of the goods: HS codes and first words per line."""
    parts = [f"HS {g.hs_code}: {_first_words(g.packages_and_description)}" for g in goods[:3]]
    more = f"; and {len(goods) - 3} more lines" if len(goods) > 3 else ""
    return "; ".join(parts) + more


def _first_words(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


class SigningNotApprovedError(ConflictError):
    """A certificate is signed only after a leader of its department approved signing it."""


@dataclass(frozen=True)
class SignaturePlacement:
    """Where the leader's visible signature goes: page index and box in PDF points."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float
    field_name: str = "LeaderSignature"


@dataclass(frozen=True)
class SignatureAppearance:
    """What the leader's visible signature shows, and where."""

    signer_name: str
    department_name: str
    placement: SignaturePlacement
    reason: str = "Certificate of origin certified"
    location: str = "Viet Nam"


@dataclass(frozen=True)
class Rendering:
    """What a rendering fixes on the certificate record: the printed code's hash, the signer."""

    verification_code_hash: str
    issue_date: date
    signer_name: str | None
    department_name: str
    signature_box: str


class CertificateStatus(StrEnum):
    PENDING = "pending"  # numbered, not yet published; verification answers "not found"
    VALID = "valid"
    CANCELLED = "cancelled"
    REPLACED = "replaced"
    TEST = "test"


PUBLIC_STATUSES = frozenset(
    {CertificateStatus.VALID, CertificateStatus.CANCELLED, CertificateStatus.REPLACED,
     CertificateStatus.TEST}
)  # fmt: skip


class CertificateRecord(BaseModel):
    """The stored facts about one issued (or numbered) certificate."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    reference_number: str
    dossier_id: str
    status: CertificateStatus
    issuer_code: str
    issuer_name: str
    exporter_name: str
    importing_country: str
    goods_summary: str
    sandbox: bool = False
    issue_date: date | None = None
    pdf_sha256: str | None = None
    pdf_key: str | None = None
    verification_code_hash: str | None = None
    signer_name: str | None = None
    department_name: str | None = None
    signature_box: str | None = Field(default=None, description="page,x1,y1,x2,y2 in points")
    allocated_at: datetime
    published_at: datetime | None = None


class VerificationResult(BaseModel):
    """What the public may learn about a certificate: only what is printed on it."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    reference_number: str
    status: CertificateStatus
    issuer: str
    issue_date: date | None
    exporter: str
    importing_country: str
    goods_summary: str
    pdf_sha256: str | None

    @classmethod
    def of(cls, record: CertificateRecord) -> VerificationResult:
        return cls(
            reference_number=record.reference_number,
            status=record.status,
            issuer=record.issuer_name,
            issue_date=record.issue_date,
            exporter=record.exporter_name,
            importing_country=record.importing_country,
            goods_summary=record.goods_summary,
            pdf_sha256=record.pdf_sha256,
        )


def placement_to_text(placement: SignaturePlacement) -> str:
    return ",".join(f"{v:g}" for v in (placement.page, placement.x1, placement.y1,
                                        placement.x2, placement.y2))  # fmt: skip


def placement_from_text(text: str) -> SignaturePlacement:
    page, x1, y1, x2, y2 = (float(v) for v in text.split(","))
    return SignaturePlacement(int(page), x1, y1, x2, y2)


def new_verification_code() -> str:
    """A random code printed in the QR; 80 bits, unguessable at any request rate."""
    return secrets.token_urlsafe(10)


def hash_verification_code(code: str) -> str:
    return hashlib.sha256(b"coissuer-verification:" + code.encode()).hexdigest()


def code_matches(code: str | None, stored_hash: str | None) -> bool:
    if not code or not stored_hash or len(code) > 64:
        return False
    return hmac.compare_digest(hash_verification_code(code), stored_hash)


def is_publicly_verifiable(record: CertificateRecord | None, code: str | None) -> bool:
    """A record is shown only when published and the code matches; all else is 'not found'."""
    return (
        record is not None
        and record.status in PUBLIC_STATUSES
        and code_matches(code, record.verification_code_hash)
    )


def is_sha256_hex(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text.lower())
