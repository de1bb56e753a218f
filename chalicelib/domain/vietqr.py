"""VietQR: the NAPAS profile of the EMVCo merchant-presented QR code.

A payload is a run of ASCII TLV fields, `ID(2) LEN(2) VALUE`, ending with tag 63: the
CRC-16/CCITT-FALSE of everything before it (tag and length of 63 included), 4 upper-case hex
digits. We emit dynamic payloads (one payment, amount fixed) whose tag 62/08 carries the
payment reference, and ASCII only, so lengths in characters and in bytes agree.

Reading is tolerant where the sender's intent is unambiguous and the CRC still proves the
content: a lower-case CRC, an amount written with zero decimals (`500000.00`), lengths of
non-ASCII text counted in bytes instead of characters, a static code that carries an amount.
A wrong or missing CRC, a CRC not 4 hex digits and any broken length are refused.
"""

from __future__ import annotations

import binascii
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.banks import bank_directory
from chalicelib.domain.errors import FieldProblem, ValidationFailedError

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
MAX_NOTE_LENGTH = 25
CRC_TAG = "6304"

_ASCII_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")
_AMOUNT = re.compile(r"^(\d{1,13})(?:\.0{1,2})?$")


class Initiation(StrEnum):
    STATIC = "11"
    DYNAMIC = "12"


class VietQRPayment(BaseModel):
    """What a VietQR payload says: who is paid, how much, with which transfer note."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    initiation: Initiation = Initiation.DYNAMIC
    bank_bin: str = Field(pattern=r"^\d{6}$")
    account_number: str = Field(pattern=r"^[0-9A-Za-z]{1,19}$")
    service: str = SERVICE_TO_ACCOUNT
    currency: str = CURRENCY_VND
    amount_vnd: int | None = Field(default=None, gt=0, lt=10**13)
    country: str = COUNTRY_VN
    bill_number: str | None = None
    purpose: str | None = None


class TransferInstructions(BaseModel):
    """Plain bank-transfer instructions for payers who do not scan the code."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    bank_name: str
    bank_short_name: str
    bank_bin: str
    account_number: str
    account_name: str
    amount_vnd: int
    transfer_note: str


def crc16_ccitt_false(text: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of the UTF-8 bytes, 4 upper-case hex."""
    return f"{binascii.crc_hqx(text.encode('utf-8'), 0xFFFF):04X}"


def dynamic_payment(
    bank_bin: str, account_number: str, amount_vnd: int, transfer_note: str
) -> VietQRPayment:
    """The dynamic VietQR for one fee payment: fixed amount, the reference as transfer note."""
    return VietQRPayment(
        bank_bin=bank_bin,
        account_number=account_number,
        amount_vnd=amount_vnd,
        purpose=transfer_note,
    )


def encode(payment: VietQRPayment) -> str:
    """The payload string of a VietQR code, CRC included."""
    _refuse_unencodable(payment)

    merchant_account = (
        _field("00", NAPAS_GUID)
        + _field("01", _field("00", payment.bank_bin) + _field("01", payment.account_number))
        + _field("02", payment.service)
    )
    additional = _field("01", payment.bill_number) + _field("08", payment.purpose)
    body = (
        _field("00", "01")
        + _field("01", payment.initiation.value)
        + _field("38", merchant_account)
        + _field("53", payment.currency)
        + _field("54", None if payment.amount_vnd is None else str(payment.amount_vnd))
        + _field("58", payment.country)
        + _field("62", additional)
        + CRC_TAG
    )
    return body + crc16_ccitt_false(body)


def decode(payload: str) -> VietQRPayment:
    """Read a VietQR payload; refuses anything whose CRC or structure does not hold."""
    _check_crc(payload)

    fields = _split_either_way(payload[: -len(CRC_TAG) - 4])
    merchant = _split_either_way(_required(fields, "38"))
    beneficiary = _split_either_way(_required(merchant, "01"))
    additional = _split_either_way(fields["62"]) if "62" in fields else {}

    if merchant.get("00") != NAPAS_GUID:
        raise _invalid("/38/00", f"GUID must be {NAPAS_GUID}")
    return VietQRPayment(
        initiation=Initiation(_required(fields, "01")),
        bank_bin=_required(beneficiary, "00"),
        account_number=_required(beneficiary, "01"),
        service=_required(merchant, "02"),
        currency=_required(fields, "53"),
        amount_vnd=_amount(fields.get("54")),
        country=_required(fields, "58"),
        bill_number=additional.get("01"),
        purpose=additional.get("08"),
    )


def transfer_instructions(
    bank_bin: str, account_number: str, account_name: str, amount_vnd: int, transfer_note: str
) -> TransferInstructions:
    bank = bank_directory().by_bin(bank_bin)
    return TransferInstructions(
        bank_name=bank.name,
        bank_short_name=bank.short_name,
        bank_bin=bank.bin,
        account_number=account_number,
        account_name=account_name,
        amount_vnd=amount_vnd,
        transfer_note=transfer_note,
    )


def render_png(payload: str, box_size: int = 8) -> bytes:
    """The QR code image of a payload, as PNG bytes."""
    import io

    import qrcode  # imported here: only the payment-order route draws images

    image = qrcode.make(
        payload, box_size=box_size, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _field(tag: str, value: str | None) -> str:
    if not value:
        return ""
    if len(value) > 99:
        raise _invalid(f"/{tag}", "a field holds at most 99 characters")
    return f"{tag}{len(value):02d}{value}"


def _refuse_unencodable(payment: VietQRPayment) -> None:
    for name in ("bill_number", "purpose"):
        value = getattr(payment, name)
        if value is not None and not _ASCII_PRINTABLE.match(value):
            raise _invalid(f"/{name}", "only printable ASCII is emitted")
        if value is not None and len(value) > MAX_NOTE_LENGTH:
            raise _invalid(f"/{name}", f"at most {MAX_NOTE_LENGTH} characters")
    if payment.initiation is Initiation.DYNAMIC and payment.amount_vnd is None:
        raise _invalid("/amount_vnd", "a dynamic code fixes the amount")


def _check_crc(payload: str) -> None:
    if len(payload) < 8 or payload[-8:-4] != CRC_TAG:
        raise _invalid("/63", "the CRC field 6304 must end the payload")
    stated = payload[-4:]
    if not re.fullmatch(r"[0-9A-Fa-f]{4}", stated):
        raise _invalid("/63", "the CRC must be 4 hex digits")
    if stated.upper() != crc16_ccitt_false(payload[:-4]):
        raise _invalid("/63", "CRC mismatch: the payload is corrupt or altered")


def _split_either_way(text: str) -> dict[str, str]:
    # EMVCo counts characters; some generators count UTF-8 bytes. The CRC has already
    # vouched for the content, so either reading that consumes the text exactly is trusted.
    try:
        return _split(text, count_bytes=False)
    except ValidationFailedError:
        if text.isascii():
            raise
        return _split(text, count_bytes=True)


def _split(text: str, count_bytes: bool) -> dict[str, str]:
    data: str | bytes = text.encode("utf-8") if count_bytes else text
    fields: dict[str, str] = {}
    position = 0
    while position < len(data):
        header = data[position : position + 4]
        header_text = header.decode("ascii", "replace") if isinstance(header, bytes) else header
        if len(header_text) < 4 or not header_text.isdigit():
            raise _invalid("", f"malformed field header at position {position}")
        tag, length = header_text[:2], int(header_text[2:])
        value = data[position + 4 : position + 4 + length]
        if len(value) != length or tag in fields:
            raise _invalid(f"/{tag}", "length runs past the end or the tag repeats")
        fields[tag] = _text(value)
        position += 4 + length
    return fields


def _text(value: str | bytes) -> str:
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _invalid("", "a length cuts a character in two") from error


def _required(fields: dict[str, str], tag: str) -> str:
    if tag not in fields:
        raise _invalid(f"/{tag}", "mandatory field missing")
    return fields[tag]


def _amount(text: str | None) -> int | None:
    if text is None:
        return None
    match = _AMOUNT.match(text)
    if match is None:
        raise _invalid("/54", "VND amounts are whole numbers")
    return int(match.group(1))


def _invalid(pointer: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(
        "Invalid VietQR payload", problems=[FieldProblem(pointer=pointer, message=message)]
    )
