"""Electronic receipts for fees and charges (Decree 123/2020, Art. 30-38).

A receipt carries the mandatory content of the decree: its name, form number and series
(letters + the last two digits of the year), a 7-digit number that restarts at 1 every
1 January (Vietnam time) and has no gap within a series, the collector, the payer, the fee,
the amount in figures and in Vietnamese words, the date and the collector's signature.
Replacement and adjustment receipts name the receipt they correct.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIPT_NAME = "Biên lai thu phí, lệ phí"
MAX_NUMBER = 9_999_999
NUMBER_DIGITS = 7

_FORM_NUMBER = re.compile(r"^[0-9A-Z][0-9A-Z\-]{2,19}$")
_SERIES_LETTERS = re.compile(r"^[A-Z]{1,6}$")


class ReceiptKind(StrEnum):
    ORIGINAL = "original"
    REPLACEMENT = "replacement"
    ADJUSTMENT = "adjustment"


class ReceiptStatus(StrEnum):
    ALLOCATED = "allocated"  # number taken, not yet accepted by the provider
    PUBLISHED = "published"
    REPLACED = "replaced"
    ADJUSTED = "adjusted"
    CANCELLED = "cancelled"


def vietnam_year(moment: datetime) -> int:
    return moment.astimezone(VIETNAM).year


def vietnam_date(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def series_for(letters: str, issued_at: datetime) -> str:
    """The series in force at `issued_at`: the letters plus the last two digits of the year."""
    return f"{letters}{vietnam_year(issued_at) % 100:02d}"


def amount_in_words(amount: int) -> str:
    """Vietnamese words for an amount of VND, as a receipt prints it.

    >>> amount_in_words(60000)
    'Sáu mươi nghìn đồng'
    """
    from num2words import num2words

    words = num2words(abs(amount), lang="vi")
    if amount < 0:
        words = "âm " + words
    return words[:1].upper() + words[1:] + " đồng"


class ReceiptKey(BaseModel):
    """Where a receipt sits in the numbering: form number, series and number."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    form_number: str
    series: str
    number: int = Field(ge=1, le=MAX_NUMBER)

    @property
    def number_text(self) -> str:
        return f"{self.number:0{NUMBER_DIGITS}d}"

    @property
    def provider_key(self) -> str:
        """The unique key (fkey) a provider files the receipt under; stable across retries."""
        return f"{self.form_number}-{self.series}-{self.number_text}"

    @classmethod
    def from_provider_key(cls, key: str) -> ReceiptKey:
        form_number, series, number = key.rsplit("-", 2)
        return cls(form_number=form_number, series=series, number=int(number))


class VnptAccount(BaseModel):
    """A department's account at VNPT's receipt service; the passwords live in a secret."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    url: str
    account: str
    username: str
    secret_name: str
    timeout_seconds: float = Field(default=20.0, gt=0)


class ReceiptProviderSetup(BaseModel):
    """Which provider makes a department's receipts legal; sandbox always uses the built-in."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    kind: Literal["builtin", "vnpt"] = "builtin"
    vnpt: VnptAccount | None = None

    @model_validator(mode="after")
    def _account_for_vnpt(self) -> ReceiptProviderSetup:
        if self.kind == "vnpt" and self.vnpt is None:
            raise ValueError("a department on VNPT needs its VNPT account")
        return self


class Collector(BaseModel):
    """The department that collects the fee and issues receipts, with its numbering setup."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    department: str
    name: str = Field(min_length=1)
    tax_code: str = Field(pattern=r"^\d{10}(-?\d{3})?$")
    address: str = ""
    form_number: str
    series_letters: str
    sandbox: bool = False
    provider: ReceiptProviderSetup = ReceiptProviderSetup()

    @field_validator("form_number")
    @classmethod
    def _form_number_shape(cls, value: str) -> str:
        if not _FORM_NUMBER.match(value):
            raise ValueError("form number is upper-case letters, digits and hyphens")
        return value

    @field_validator("series_letters")
    @classmethod
    def _series_letters_shape(cls, value: str) -> str:
        if not _SERIES_LETTERS.match(value):
            raise ValueError("series letters are 1 to 6 upper-case ASCII letters")
        return value


class Payer(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    name: str = Field(min_length=1)
    tax_code: str | None = None
    address: str | None = None


class FeeCharge(BaseModel):
    """What the receipt is for: the fee's name and its amount in VND."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    name: str = Field(min_length=1)
    amount: int


class ReceiptAction(BaseModel):
    """Who changed a receipt's standing (cancellation, replacement), when and why."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    actor: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    at: datetime


class Receipt(BaseModel):
    """One electronic receipt for a fee, with every field the decree makes mandatory."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    receipt_name: str = RECEIPT_NAME
    key: ReceiptKey
    kind: ReceiptKind = ReceiptKind.ORIGINAL
    original: ReceiptKey | None = None
    status: ReceiptStatus = ReceiptStatus.ALLOCATED
    collector: Collector
    payer: Payer
    fee: FeeCharge
    issued_at: datetime
    payment_reference: str
    dossier_id: str | None = None
    test_receipt: bool = False
    signature_reference: str | None = None
    provider: str | None = None
    xml_key: str | None = None
    pdf_key: str | None = None
    superseded_by: ReceiptKey | None = None
    cancellation: ReceiptAction | None = None
    correction: ReceiptAction | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def amount_in_words(self) -> str:
        return amount_in_words(self.fee.amount)

    @property
    def issue_date(self) -> date:
        return vietnam_date(self.issued_at)

    @property
    def is_legal(self) -> bool:
        return not self.test_receipt

    @field_validator("issued_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("issued_at must carry a time zone")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Receipt:
        if self.key.form_number != self.collector.form_number:
            raise ValueError("the receipt's form number is not its collector's")
        if self.key.series != series_for(self.collector.series_letters, self.issued_at):
            raise ValueError("the series does not match the letters and year of issue")
        if (self.kind is ReceiptKind.ORIGINAL) != (self.original is None):
            raise ValueError("replacement and adjustment receipts, and only they, name an original")
        if self.kind is not ReceiptKind.ADJUSTMENT and self.fee.amount <= 0:
            raise ValueError("the amount of a receipt is positive")
        return self


class ReceiptDraft(BaseModel):
    """Everything a receipt needs except its number, which the store allocates."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    collector: Collector
    payer: Payer
    fee: FeeCharge
    issued_at: datetime
    payment_reference: str
    dossier_id: str | None = None
    kind: ReceiptKind = ReceiptKind.ORIGINAL
    original: ReceiptKey | None = None
    test_receipt: bool = False

    @property
    def form_number(self) -> str:
        return self.collector.form_number

    @property
    def series(self) -> str:
        return series_for(self.collector.series_letters, self.issued_at)

    def numbered(self, number: int) -> Receipt:
        return Receipt(
            key=ReceiptKey(form_number=self.form_number, series=self.series, number=number),
            kind=self.kind,
            original=self.original,
            collector=self.collector,
            payer=self.payer,
            fee=self.fee,
            issued_at=self.issued_at,
            payment_reference=self.payment_reference,
            dossier_id=self.dossier_id,
            test_receipt=self.test_receipt or self.collector.sandbox,
        )


def correction_of(
    original: Receipt, kind: ReceiptKind, fee: FeeCharge, payer: Payer, issued_at: datetime
) -> ReceiptDraft:
    """A replacement or adjustment draft for `original`, in the series in force when issued."""
    return ReceiptDraft(
        collector=original.collector,
        payer=payer,
        fee=fee,
        issued_at=issued_at,
        payment_reference=original.payment_reference,
        dossier_id=original.dossier_id,
        kind=kind,
        original=original.key,
        test_receipt=original.test_receipt,
    )


class UsagePeriod(BaseModel):
    """A span of Vietnam calendar days, both ends included."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    first_day: date
    last_day: date

    @model_validator(mode="after")
    def _ordered(self) -> UsagePeriod:
        if self.last_day < self.first_day:
            raise ValueError("the period ends before it starts")
        return self


class UsageReport(BaseModel):
    """Use of one series over a period, as the periodic receipt-use report counts it."""

    model_config = ConfigDict(defer_build=True)

    form_number: str
    series: str
    period: UsagePeriod
    issued: int
    cancelled: int
    first_number: str | None
    last_number: str | None
    remaining: int
    total_amount: int


def usage_report_of(
    form_number: str,
    series: str,
    period: UsagePeriod,
    receipts: list[Receipt],
    highest_number: int,
) -> UsageReport:
    """Counts the numbers used in a period, and those left after it (`highest_number` is the
    highest used by the period's end).

    Cancelled and replaced receipts used their numbers but add no amount: the replacement
    carries the amount instead.
    """
    numbers = sorted(receipt.key.number for receipt in receipts)
    cancelled = [r for r in receipts if r.status is ReceiptStatus.CANCELLED]
    void = (ReceiptStatus.CANCELLED, ReceiptStatus.REPLACED)
    standing = [r for r in receipts if r.status not in void]
    return UsageReport(
        form_number=form_number,
        series=series,
        period=period,
        issued=len(numbers),
        cancelled=len(cancelled),
        first_number=f"{numbers[0]:0{NUMBER_DIGITS}d}" if numbers else None,
        last_number=f"{numbers[-1]:0{NUMBER_DIGITS}d}" if numbers else None,
        remaining=MAX_NUMBER - highest_number,
        total_amount=sum(receipt.fee.amount for receipt in standing),
    )
