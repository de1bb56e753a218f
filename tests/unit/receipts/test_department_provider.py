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


def test_a_department_without_a_provider_falls_back_to_the_built_in_issuer() -> None:
    collector = collector_of(onboarded())

    assert collector.provider.kind == "builtin"
