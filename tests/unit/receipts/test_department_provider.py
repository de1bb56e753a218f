import pytest

from chalicelib.adapters.builtin_receipt_issuer import BuiltInReceiptIssuer
from chalicelib.adapters.receipt_providers import (
    ReceiptProviderNotConfiguredError,
    receipt_provider_for,
)
from chalicelib.domain.departments import DepartmentState, ReceiptSeries
from chalicelib.domain.receipts import ReceiptProviderSetup, VnptAccount
from chalicelib.services.receipts import collector_of
from tests.unit.department_examples import onboarded

VNPT = ReceiptProviderSetup(kind="vnpt", vnpt=VnptAccount(
    url="https://haiphong-tt78.vnpt-invoice.com.vn/PublishService.asmx", account="sct_hp",
    username="sct_hp_ws", secret_name="coissuer/haiphong/vnpt"))  # fmt: skip


def test_a_live_department_issues_through_its_own_vnpt_account() -> None:
    department = onboarded().model_copy(update={
        "state": DepartmentState.LIVE,
        "receipt": ReceiptSeries(form_number="01BLP0-001", series="HP26", provider=VNPT),
    })  # fmt: skip

    collector = collector_of(department)

    assert collector.provider == VNPT
    assert collector.sandbox is False


def test_a_live_department_without_a_provider_gets_no_receipt_outside_the_local_stack() -> None:
    live = onboarded().model_copy(update={"state": DepartmentState.LIVE})
    collector = collector_of(live)

    with pytest.raises(ReceiptProviderNotConfiguredError):
        receipt_provider_for(
            collector.provider,
            sandbox=collector.sandbox,
            s3=None,
            bucket="unused",
            signer=None,
            secrets=None,
        )  # type: ignore[arg-type]


def test_the_local_stack_gives_a_live_department_without_a_provider_test_receipts() -> None:
    collector = collector_of(onboarded().model_copy(update={"state": DepartmentState.LIVE}))

    provider = receipt_provider_for(
        collector.provider, sandbox=False, s3=None, bucket="b",  # type: ignore[arg-type]
        signer=lambda: None, secrets=None, test_receipts_for_live=True,  # type: ignore[arg-type]
    )  # fmt: skip

    assert isinstance(provider, BuiltInReceiptIssuer)
    assert provider.issues_legal_receipts is False


def test_a_sandbox_department_gets_test_receipts_on_any_stage() -> None:
    collector = collector_of(onboarded())

    provider = receipt_provider_for(
        collector.provider, sandbox=collector.sandbox, s3=None, bucket="b",  # type: ignore[arg-type]
        signer=lambda: None, secrets=None,  # type: ignore[arg-type]
    )  # fmt: skip

    assert collector.sandbox is True
    assert isinstance(provider, BuiltInReceiptIssuer)
