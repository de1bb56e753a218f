import csv

import pytest
import qr_pay
import vietnam_qr_pay

from chalicelib.domain.banks import bank_directory
from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.payment_reference import new_payment_reference
from chalicelib.domain.vietqr import (
    Initiation,
    VietQRPayment,
    crc16_ccitt_false,
    decode,
    dynamic_payment,
    encode,
    render_png,
    transfer_instructions,
)
from tests.qr_reader import scanned
from tests.sample_files import external_sample

SAMPLES = external_sample("vietqr_payloads_generated.tsv")
NAPAS_STATIC = (
    "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5"
)
NAPAS_DYNAMIC = (
    "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA"
    "530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E"
)

# Our reading of every sample row; the TSV's own verdict column must agree with it.
ACCEPTED = {
    "static_no_amount": (None, None),
    "dynamic_co_fee": (500_000, "CO HN2024 000123"),
    "dynamic_co_fee_lowercase_crc": (500_000, "CO HN2024 000123"),
    "diacritics_len_bytes": (500_000, "Phí C/O số 123"),
    "diacritics_len_chars": (500_000, "Phí C/O số 123"),
    "diacritics_stripped": (500_000, "Phi C/O so 123"),
    "crc_leading_zero": (500_000, "CO HN2024 000005"),
    "amount_with_decimals": (500_000, "CO HN2024 000123"),
    "static_with_amount": (500_000, "CO HN2024 000123"),
}
REFUSED = {
    "dynamic_co_fee_wrong_crc",
    "dynamic_co_fee_no_crc",
    "crc_leading_zero_unpadded",
    "field62_length_over_99",
}


def sample_rows() -> list[dict[str, str]]:
    with SAMPLES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_encoder_reproduces_the_napas_dynamic_test_vector_exactly():
    payment = VietQRPayment(
        bank_bin="970403",
        account_number="0011012345678",
        amount_vnd=180_000,
        bill_number="NPS6869",
        purpose="thanh toan don hang",
    )

    assert encode(payment) == NAPAS_DYNAMIC
    assert decode(NAPAS_DYNAMIC) == payment


def test_crc_reproduces_the_napas_static_test_vector_exactly():
    assert crc16_ccitt_false(NAPAS_STATIC[:-4]) == "F4E5"


def test_the_published_static_vector_misstates_one_length_and_the_encoder_fixes_only_that():
    # The published static vector declares the account (13 characters) as 12 long while its
    # enclosing template counts 13: no consistent encoder can emit it byte for byte.
    payment = VietQRPayment(
        initiation=Initiation.STATIC, bank_bin="970403", account_number="0011012345678"
    )

    payload = encode(payment)

    corrected = NAPAS_STATIC[:-4].replace("01120011012345678", "01130011012345678")
    assert payload == corrected + crc16_ccitt_false(corrected)
    with pytest.raises(ValidationFailedError):
        decode(NAPAS_STATIC)


def test_every_sample_row_has_a_decided_outcome_that_matches_its_verdict():
    for row in sample_rows():
        assert row["id"] in ACCEPTED or row["id"] in REFUSED, row["id"]
        if row["id"] in REFUSED:
            assert row["expected"].startswith("invalid")
        else:
            assert row["expected"].startswith(("valid", "policy-decision"))


@pytest.mark.parametrize("row", sample_rows(), ids=lambda row: row["id"])
def test_decoder_accepts_or_refuses_each_sample_payload(row):
    if row["id"] in REFUSED:
        with pytest.raises(ValidationFailedError):
            decode(row["payload"])
        return

    payment = decode(row["payload"])

    assert (payment.amount_vnd, payment.purpose) == ACCEPTED[row["id"]]
    assert (payment.bank_bin, payment.account_number) == ("970407", "19030000000001")


def test_amount_with_a_non_zero_fraction_is_refused():
    good = decode(sample_rows()[0]["payload"])
    payload = encode(good.model_copy(update={"amount_vnd": 5}))
    body = payload.replace("54015" + "5802", "540555.50" + "5802")[:-4]

    with pytest.raises(ValidationFailedError) as refused:
        decode(body + crc16_ccitt_false(body))

    assert refused.value.problems[0].pointer == "/54"


def test_encoder_refuses_notes_it_cannot_carry():
    too_long = dynamic_payment("970407", "19030000000001", 60_000, "X" * 26)
    accented = dynamic_payment("970407", "19030000000001", 60_000, "Phí")

    for payment in (too_long, accented):
        with pytest.raises(ValidationFailedError):
            encode(payment)


PAYMENTS_TO_CROSS_CHECK = [
    ("970407", "19030000000001", 60_000),
    ("970436", "0011004567890", 30_000),
    ("970418", "12010000123456", 90_000),
    ("970405", "1500205123456", 1),
    ("970422", "0801234567899", 9_999_999_999_999),
]


@pytest.mark.parametrize(("bank_bin", "account", "amount"), PAYMENTS_TO_CROSS_CHECK)
def test_two_independent_parsers_read_our_payloads_as_we_wrote_them(bank_bin, account, amount):
    reference = new_payment_reference()
    payload = encode(dynamic_payment(bank_bin, account, amount, reference))

    napas = qr_pay.decode(payload)
    other = vietnam_qr_pay.QRPay(payload)

    ours = {
        "initiation": "12",
        "guid": "A000000727",
        "bin": bank_bin,
        "account": account,
        "service": "QRIBFTTA",
        "currency": "704",
        "amount": str(amount),
        "country": "VN",
        "note": reference,
    }
    assert {
        "initiation": napas["point_of_initiation_method"],
        "guid": napas["glocal_uuid"],
        "bin": napas["bin_id"],
        "account": napas["consumer_id"],
        "service": napas["service_code"],
        "currency": napas["transaction_currency"],
        "amount": napas["transaction_amount"],
        "country": napas["country_code"],
        "note": napas["purpose_of_transaction"],
    } == ours
    assert other.is_valid
    assert {
        "initiation": other.init_method,
        "guid": other.provider.guid,
        "bin": other.consumer.bank_bin,
        "account": other.consumer.bank_number,
        "service": other.provider.service,
        "currency": other.currency,
        "amount": other.amount,
        "country": other.nation,
        "note": other.additional_data.purpose,
    } == ours


def test_both_parsers_refuse_a_payload_we_built_once_altered():
    payload = encode(dynamic_payment("970407", "19030000000001", 60_000, "COABCDEFGH1"))
    altered = payload.replace("60000", "10000")

    assert not vietnam_qr_pay.QRPay(altered).is_valid
    with pytest.raises(qr_pay.QRDecodeError):
        qr_pay.decode(altered)


def test_transfer_instructions_name_the_bank_from_its_bin():
    instructions = transfer_instructions(
        "970407", "19030000000001", "SO CONG THUONG HA NOI", 60_000, "COABCDEFGH1"
    )

    assert instructions.bank_short_name == "Techcombank"
    assert instructions.bank_name == "Ngân hàng TMCP Kỹ thương Việt Nam"
    assert (instructions.amount_vnd, instructions.transfer_note) == (60_000, "COABCDEFGH1")


def test_our_bank_directory_agrees_with_an_independent_bin_list():
    published = {bank.bin: bank.short_name for bank in vietnam_qr_pay.BanksObject.values()}

    for bank in bank_directory().banks:
        assert bank.bin in published, bank.code


def test_qr_image_is_a_png_that_scans_back_to_its_payload():
    payload = encode(dynamic_payment("970407", "19030000000001", 60_000, "COABCDEFGH1"))

    png = render_png(payload)

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert scanned(png) == [payload]
