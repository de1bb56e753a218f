from __future__ import annotations

from collections.abc import Iterator

import pytest
from defusedxml import ElementTree as SafeET

from chalicelib.adapters.vnpt_receipts import VnptCredentials, VnptReceiptProvider
from chalicelib.domain.errors import ReceiptProviderError, TransientError
from chalicelib.domain.receipts import (
    Collector,
    Payer,
    Receipt,
    ReceiptKind,
    VnptAccount,
    correction_of,
)
from tests.fakes.vnpt_receipt_service import FakeVnptReceiptService
from tests.functional.receipts.conftest import DEC_3, ISSUANCE_FEE, draft_for

PASSWORDS = {"account_password": "ac-secret", "password": "user-secret"}


@pytest.fixture
def service() -> Iterator[FakeVnptReceiptService]:
    fake = FakeVnptReceiptService("daklak_admin", "ac-secret", "daklak_ws", "user-secret").start()
    yield fake
    fake.stop()


def _provider(service: FakeVnptReceiptService, **changes: str) -> VnptReceiptProvider:
    account = VnptAccount(
        url=service.url,
        account="daklak_admin",
        username="daklak_ws",
        secret_name="coissuer/test/vnpt/DAKLAK",
        timeout_seconds=0.4,
    )
    credentials = VnptCredentials.model_validate({**PASSWORDS, **changes})
    return VnptReceiptProvider(account, credentials)


@pytest.fixture
def provider(service: FakeVnptReceiptService) -> VnptReceiptProvider:
    return _provider(service)


@pytest.fixture
def receipt(collector: Collector, payer: Payer) -> Receipt:
    return draft_for(collector, payer, "CO12345678X").numbered(7)


def test_publish_files_the_receipt_under_its_unique_key(
    provider: VnptReceiptProvider, service: FakeVnptReceiptService, receipt: Receipt
) -> None:
    # when a receipt is published
    published = provider.publish(receipt)

    # then the service holds it under its key, with our number and the invoice-layout data
    filed = service.receipts["01BLP0-001-DL26-0000007"]
    assert (filed.pattern, filed.serial, filed.number) == ("01BLP0-001", "DL26", "0000007")
    data = SafeET.fromstring(filed.xml).find("Inv/HDon/DLHDon/NDHDon")
    assert data.findtext("TToan/TgTTTBChu") == "Sáu mươi nghìn đồng"
    assert published.provider_key == "01BLP0-001-DL26-0000007"
    assert published.signature_reference == "vnpt:01BLP0-001;DL26-01BLP0-001-DL26-0000007_0000007"


def test_a_duplicate_key_is_taken_as_already_published(
    provider: VnptReceiptProvider, service: FakeVnptReceiptService, receipt: Receipt
) -> None:
    # given a receipt the service already holds
    first = provider.publish(receipt)

    # when it is published again
    again = provider.publish(receipt)

    # then the service's duplicate-key answer leads to a look-up, and nothing new is filed
    assert again == first
    assert len(service.receipts) == 1
    assert service.calls["GetInvByFkey"] == 1


def test_after_a_timeout_the_key_is_looked_up_instead_of_publishing_again(
    provider: VnptReceiptProvider, service: FakeVnptReceiptService, receipt: Receipt
) -> None:
    # given a service that files the receipt but answers after the client gave up
    service.hold_next_answer("ImportAndPublishInv", 1.0)

    # when the receipt is published
    published = provider.publish(receipt)

    # then the adapter found it by its key and sent it once
    assert published.provider_key == receipt.key.provider_key
    assert service.calls["ImportAndPublishInv"] == 1
    assert service.calls["GetInvByFkey"] == 1


def test_a_timeout_before_the_work_is_done_is_transient_and_a_retry_publishes_once(
    provider: VnptReceiptProvider, service: FakeVnptReceiptService, receipt: Receipt
) -> None:
    # given a busy service that neither files the receipt nor answers in time
    service.answer_next("ImportAndPublishInv", "ERR:5")
    service.hold_next_answer("ImportAndPublishInv", 1.0)

    # when the receipt is published, then the fault is transient
    with pytest.raises(TransientError):
        provider.publish(receipt)
    assert service.receipts == {}

    # and the retry files it exactly once
    provider.publish(receipt)
    assert list(service.receipts) == [receipt.key.provider_key]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("ERR:1", ReceiptProviderError),
        ("ERR:3", ReceiptProviderError),
        ("ERR:5", TransientError),
        ("ERR:20", ReceiptProviderError),
    ],
)
def test_service_error_codes_map_to_our_errors(
    provider: VnptReceiptProvider,
    service: FakeVnptReceiptService,
    receipt: Receipt,
    answer: str,
    error: type[Exception],
) -> None:
    service.answer_next("ImportAndPublishInv", answer)

    with pytest.raises(error) as raised:
        provider.publish(receipt)

    assert raised.value.context["code"] == answer  # type: ignore[attr-defined]


def test_wrong_credentials_are_terminal(service: FakeVnptReceiptService, receipt: Receipt) -> None:
    # given a department whose secret holds a stale password
    provider = _provider(service, password="stale")

    # when a receipt is published, then the refusal is not retryable
    with pytest.raises(ReceiptProviderError) as raised:
        provider.publish(receipt)
    assert raised.value.context["code"] == "ERR:7"
    assert service.receipts == {}


@pytest.mark.parametrize("status", [503, 500])
def test_an_unavailable_or_failing_service_is_transient(
    provider: VnptReceiptProvider, service: FakeVnptReceiptService, receipt: Receipt, status: int
) -> None:
    # given a service that answers 503 (or a SOAP fault) to the publication and the look-up
    service.fail_next_with_status("ImportAndPublishInv", status)
    service.fail_next_with_status("GetInvByFkey", status)

    # when a receipt is published, then the fault is transient and nothing is filed
    with pytest.raises(TransientError):
        provider.publish(receipt)
    assert service.receipts == {}


def test_replace_and_cancel_name_the_original_and_repeat_harmlessly(
    provider: VnptReceiptProvider,
    service: FakeVnptReceiptService,
    receipt: Receipt,
    payer: Payer,
) -> None:
    # given a published receipt and another one
    provider.publish(receipt)
    second = receipt.model_copy(update={"key": receipt.key.model_copy(update={"number": 8})})
    provider.publish(second)
    replacement = correction_of(
        receipt, ReceiptKind.REPLACEMENT, ISSUANCE_FEE, payer, DEC_3
    ).numbered(9)

    # when the first is replaced and the second cancelled, each twice
    provider.replace(replacement)
    provider.replace(replacement)
    provider.cancel(second, "trùng thanh toán")
    provider.cancel(second, "trùng thanh toán")

    # then the service holds the replacement against the original, and the second cancelled
    assert service.receipts[replacement.key.provider_key].corrects == receipt.key.provider_key
    assert service.receipts[receipt.key.provider_key].status == "replaced"
    assert service.receipts[second.key.provider_key].status == "cancelled"
    assert provider.lookup("01BLP0-001-DL26-0000099") is None
