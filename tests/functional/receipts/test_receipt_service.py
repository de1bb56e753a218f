from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from defusedxml import ElementTree as SafeET

from chalicelib.adapters.builtin_receipt_issuer import BuiltInReceiptIssuer
from chalicelib.adapters.receipt_store import ReceiptStore
from chalicelib.domain.errors import ConflictError, RuleViolationError, TransientError
from chalicelib.domain.payment_reference import new_payment_reference
from chalicelib.domain.receipts import (
    Collector,
    Payer,
    ReceiptKind,
    ReceiptStatus,
    UsagePeriod,
)
from chalicelib.services.receipts import (
    ReceiptDesk,
    ReceiptOrder,
    cancel_receipt,
    issue_receipt,
    issue_receipt_for_payment,
    replace_receipt,
    usage_report,
)
from tests.fakes.receipt_provider import FakeReceiptProvider
from tests.functional.receipts.conftest import BUCKET, DEC_3, ISSUANCE_FEE
from tests.sample_files import samples_root

SAMPLES = samples_root()
SAMPLE = SAMPLES / "dossiers" / "form-d-coffee-th.json"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock(DEC_3)


@pytest.fixture
def provider() -> FakeReceiptProvider:
    return FakeReceiptProvider()


@pytest.fixture
def desk(store: ReceiptStore, provider: FakeReceiptProvider, clock: Clock) -> ReceiptDesk:
    return ReceiptDesk(store=store, provider=provider, now=clock)


def _pay(desk: ReceiptDesk, collector: Collector, payer: Payer, reference: str | None = None):
    return issue_receipt_for_payment(
        reference or new_payment_reference(),
        collector=collector,
        payer=payer,
        fee=ISSUANCE_FEE,
        dossier_id="D-1",
        desk=desk,
    )


def test_paying_the_sample_dossier_issues_its_receipt_with_every_mandatory_field(
    store: ReceiptStore,
    issuer: BuiltInReceiptIssuer,
    s3: object,
    collector: Collector,
    clock: Clock,
) -> None:
    # given the sample Form D dossier of a sandbox department, paid under its reference
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    exporter = sample["exporter"]
    payer = Payer(
        name=exporter["name_vi"], tax_code=exporter["tax_code"], address=exporter["address"]
    )
    sandbox = collector.model_copy(update={"sandbox": True})
    desk = ReceiptDesk(store=store, provider=issuer, now=clock)

    # when the payment's receipt is issued
    receipt = _pay(desk, sandbox, payer, "CO12345678X")

    # then it is published with every mandatory field, as a test receipt
    assert receipt.status is ReceiptStatus.PUBLISHED
    assert receipt.receipt_name == "Biên lai thu phí, lệ phí"
    assert (receipt.key.form_number, receipt.key.series, receipt.key.number_text) == (
        "01BLP0-001",
        "DL26",
        "0000001",
    )
    assert (receipt.collector.name, receipt.collector.tax_code) == (
        "Sở Công Thương tỉnh Đắk Lắk",
        "6000181358",
    )
    assert receipt.payer == payer
    assert (receipt.fee.name, receipt.fee.amount) == (ISSUANCE_FEE.name, 60000)
    assert receipt.amount_in_words == "Sáu mươi nghìn đồng"
    assert receipt.issue_date == date(2026, 12, 3)
    assert receipt.signature_reference and receipt.signature_reference.startswith("sha256:")
    assert receipt.test_receipt
    xml = s3.get_object(Bucket=BUCKET, Key=receipt.xml_key)["Body"].read()  # type: ignore[attr-defined]
    assert (
        SafeET.fromstring(xml).findtext("DLHDon/NDHDon/NMua/Ten") == "Công ty TNHH Cà phê Krông Pắc"
    )


def test_a_second_delivery_of_the_payment_publishes_nothing(
    desk: ReceiptDesk, provider: FakeReceiptProvider, collector: Collector, payer: Payer
) -> None:
    # given a payment whose receipt was issued
    first = _pay(desk, collector, payer, "CO12345678X")

    # when the payment is delivered again
    again = _pay(desk, collector, payer, "CO12345678X")

    # then the same receipt comes back and the provider was called once
    assert again == first
    assert provider.calls["publish"] == 1
    assert not first.test_receipt


def test_a_provider_outage_is_transient_and_the_retry_keeps_the_number(
    desk: ReceiptDesk, provider: FakeReceiptProvider, collector: Collector, payer: Payer
) -> None:
    # given a provider that is down for two calls
    provider.outages = 2

    # when the receipt is issued during the outage, then it fails transiently, twice
    for _ in range(2):
        with pytest.raises(TransientError):
            _pay(desk, collector, payer, "CO12345678X")

    # and once the provider is back, the retry publishes number 1 and the next payment gets 2
    receipt = _pay(desk, collector, payer, "CO12345678X")
    assert (receipt.key.number, receipt.status) == (1, ReceiptStatus.PUBLISHED)
    assert _pay(desk, collector, payer).key.number == 2


def test_a_retry_after_a_lost_answer_looks_the_receipt_up_instead_of_sending_it_again(
    desk: ReceiptDesk, provider: FakeReceiptProvider, collector: Collector, payer: Payer
) -> None:
    # given a provider that files the receipt but whose answer is lost
    provider.lost_answers = 1
    with pytest.raises(TransientError):
        _pay(desk, collector, payer, "CO12345678X")

    # when the workflow retries
    receipt = _pay(desk, collector, payer, "CO12345678X")

    # then the receipt was found by its key and sent once
    assert receipt.status is ReceiptStatus.PUBLISHED
    assert provider.calls["publish"] == 1
    assert provider.calls["lookup"] == 1


def test_a_sandbox_department_never_issues_a_legal_receipt(
    desk: ReceiptDesk, provider: FakeReceiptProvider, collector: Collector, payer: Payer
) -> None:
    sandbox = collector.model_copy(update={"sandbox": True})

    with pytest.raises(RuleViolationError):
        _pay(desk, sandbox, payer)

    assert provider.filed == {}


def test_replacing_a_receipt_names_the_original_and_is_audited(
    desk: ReceiptDesk,
    store: ReceiptStore,
    provider: FakeReceiptProvider,
    collector: Collector,
    payer: Payer,
    clock: Clock,
) -> None:
    # given a published receipt with a misspelt payer
    original = _pay(desk, collector, payer, "CO12345678X")
    clock.moment += timedelta(hours=2)
    corrected = payer.model_copy(update={"address": "126 Nguyễn Tất Thành, Buôn Ma Thuột"})

    # when operations replace it, and the request is repeated
    replacement = replace_receipt(
        original.key, actor="ops:lan", reason="sai địa chỉ", payer=corrected, desk=desk
    )
    again = replace_receipt(original.key, actor="ops:lan", reason="sai địa chỉ", desk=desk)

    # then one replacement names the original, which is marked replaced with who and why
    assert again == replacement
    assert (replacement.kind, replacement.original) == (ReceiptKind.REPLACEMENT, original.key)
    assert replacement.key.number == 2 and replacement.payer == corrected
    assert provider.calls["replace"] == 1
    retired = store.require(original.key)
    assert retired.status is ReceiptStatus.REPLACED
    assert retired.superseded_by == replacement.key
    events = store.events(original.key)
    assert [(e["action"], e["actor"], e["reason"]) for e in events] == [
        ("replaced", "ops:lan", "sai địa chỉ")
    ]
    assert store.receipt_for_payment("CO12345678X") == replacement
    assert store.receipt_of_dossier("D-1") == replacement


def test_cancelling_a_receipt_is_audited_and_repeats_harmlessly(
    desk: ReceiptDesk,
    store: ReceiptStore,
    provider: FakeReceiptProvider,
    collector: Collector,
    payer: Payer,
) -> None:
    # given a published receipt
    receipt = _pay(desk, collector, payer)

    # when operations cancel it twice
    cancelled = cancel_receipt(receipt.key, actor="ops:minh", reason="nộp nhầm", desk=desk)
    cancel_receipt(receipt.key, actor="ops:minh", reason="nộp nhầm", desk=desk)

    # then it is cancelled once, at the provider and here, with who and why
    assert cancelled.status is ReceiptStatus.CANCELLED
    assert cancelled.cancellation is not None and cancelled.cancellation.actor == "ops:minh"
    assert provider.cancelled == {receipt.key.provider_key: "nộp nhầm"}
    assert [e["action"] for e in store.events(receipt.key)] == ["cancelled"]
    with pytest.raises(ConflictError):
        replace_receipt(receipt.key, actor="ops:minh", reason="late", desk=desk)


def test_usage_report_counts_a_series_over_a_period(
    desk: ReceiptDesk, store: ReceiptStore, collector: Collector, payer: Payer, clock: Clock
) -> None:
    # given on 3 December: 3 receipts, one cancelled and one replaced (by number 4)
    first = _pay(desk, collector, payer)
    second = _pay(desk, collector, payer)
    _pay(desk, collector, payer)
    cancel_receipt(first.key, actor="ops", reason="nộp nhầm", desk=desk)
    replace_receipt(second.key, actor="ops", reason="sai tên", desk=desk)
    # and one receipt at 00:30 on 4 December, Vietnam time
    clock.moment = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)
    _pay(desk, collector, payer)

    # when the report for 3 December is made
    period = UsagePeriod(first_day=date(2026, 12, 3), last_day=date(2026, 12, 3))
    report = usage_report("01BLP0-001", "DL26", period, store=store)

    # then it counts numbers 1 to 4, one cancelled, and the amounts of 3 and 4
    assert (report.issued, report.cancelled) == (4, 1)
    assert (report.first_number, report.last_number) == ("0000001", "0000004")
    assert report.total_amount == 120000
    assert report.remaining == 9_999_995

    # and the report for 4 December counts number 5 alone, with what is left after it
    next_day = UsagePeriod(first_day=date(2026, 12, 4), last_day=date(2026, 12, 4))
    after = usage_report("01BLP0-001", "DL26", next_day, store=store)
    assert (after.issued, after.first_number, after.remaining) == (1, "0000005", 9_999_994)


class OrdersOf:
    """Receipt orders of paid dossiers, as the workflow step reads them."""

    def __init__(self, orders: dict[str, ReceiptOrder]) -> None:
        self._orders = orders

    def order_for(self, dossier_id: str) -> ReceiptOrder | None:
        return self._orders.get(dossier_id)


def test_the_receipt_step_issues_the_dossiers_receipt_once_and_skips_unpaid_fees(
    desk: ReceiptDesk, provider: FakeReceiptProvider, collector: Collector, payer: Payer
) -> None:
    # given one dossier whose fee was paid and one for which no receipt is due
    order = ReceiptOrder(
        dossier_id="D-7",
        payment_reference="CO12345678X",
        collector=collector,
        payer=payer,
        fee=ISSUANCE_FEE,
    )
    orders = OrdersOf({"D-7": order})

    # when the workflow runs the receipt step twice for the first and once for the other
    first = issue_receipt("D-7", orders=orders, desk_for=lambda _collector: desk)
    again = issue_receipt("D-7", orders=orders, desk_for=lambda _collector: desk)
    none = issue_receipt("D-8", orders=orders, desk_for=lambda _collector: desk)

    # then the first dossier has receipt 0000001, published once, and the other none
    assert first == again == "01BLP0-001-DL26-0000001"
    assert provider.calls["publish"] == 1
    assert none is None
