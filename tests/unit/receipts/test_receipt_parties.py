from __future__ import annotations

import pytest

from chalicelib.domain.departments import (
    Department,
    DepartmentKind,
    DepartmentState,
    ReceiptSeries,
)
from chalicelib.domain.errors import RuleViolationError
from chalicelib.services.receipts import collector_of

DAK_LAK = Department(
    code="DAKLAK",
    kind=DepartmentKind.PROVINCE,
    province_code=66,
    name_vi="Sở Công Thương tỉnh Đắk Lắk",
    name_en="Dak Lak Department of Industry and Trade",
    issuer_code="DL",
    tax_code="6000181358",
    receipt=ReceiptSeries(form_number="01BLP0-001", series="DL26"),
    state=DepartmentState.LIVE,
)


def test_a_live_department_collects_under_its_name_tax_code_and_series_letters() -> None:
    collector = collector_of(DAK_LAK)

    assert (collector.name, collector.tax_code) == ("Sở Công Thương tỉnh Đắk Lắk", "6000181358")
    assert (collector.form_number, collector.series_letters) == ("01BLP0-001", "DL")
    assert not collector.sandbox


def test_a_sandbox_department_issues_test_receipts() -> None:
    sandbox = DAK_LAK.model_copy(update={"state": DepartmentState.SANDBOX})

    assert collector_of(sandbox).sandbox


def test_a_department_without_a_receipt_series_cannot_collect() -> None:
    unregistered = DAK_LAK.model_copy(update={"receipt": None})

    with pytest.raises(RuleViolationError):
        collector_of(unregistered)
