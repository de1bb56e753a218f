from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from chalicelib.domain import traders
from chalicelib.domain.errors import ForbiddenError, RuleViolationError
from chalicelib.domain.traders import TraderRegistration, normalise_tax_code
from tools.samples import SAMPLE_FILES, load_sample, registration

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_tax_codes_carry_a_valid_check_digit(name):
    tax_code = load_sample(name)["exporter"]["tax_code"]

    assert normalise_tax_code(tax_code) == tax_code


@pytest.mark.parametrize(
    "raw", ["0315429072", "031542907", "03154290711", "0315429071-000", "03154290x1", ""]
)
def test_malformed_or_wrong_check_digit_tax_codes_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_tax_code(raw)


def test_branch_tax_code_is_written_with_a_hyphen():
    assert normalise_tax_code("0315429071-002") == "0315429071-002"
    assert normalise_tax_code("0315429071002") == "0315429071-002"


def test_registration_names_the_bad_tax_code_field():
    body = registration(load_sample("form-b-cashew-ae.json")).model_dump()
    body["tax_code"] = "0315429072"

    with pytest.raises(ValidationError) as caught:
        TraderRegistration.model_validate(body)

    assert caught.value.errors()[0]["loc"] == ("tax_code",)


def test_registration_rejects_unknown_fields():
    body = registration(load_sample("form-b-cashew-ae.json")).model_dump()

    with pytest.raises(ValidationError):
        TraderRegistration.model_validate({**body, "nickname": "x"})


def test_renewal_is_due_two_years_after_confirmation_and_blocks_submission_once_overdue():
    profile = traders.register(
        registration(load_sample("form-d-coffee-th.json")), date(2024, 12, 2), NOW
    )

    assert profile.renewal_due_on == date(2026, 12, 2)
    with pytest.raises(RuleViolationError, match="due for renewal on 2026-12-02"):
        traders.ensure_may_submit(profile, date(2026, 12, 3))
    traders.ensure_may_submit(profile, date(2026, 12, 2))


def test_update_restarts_the_renewal_clock():
    profile = traders.register(
        registration(load_sample("form-d-coffee-th.json")), date(2024, 2, 29), NOW
    )
    assert profile.renewal_due_on == date(2026, 2, 28)

    updated = traders.update(profile, profile, date(2026, 12, 3), NOW)

    assert updated.renewal_due_on == date(2028, 12, 3)
    assert updated.version == 2


def test_a_registration_body_claiming_a_test_trader_is_refused_without_the_tokens_claim():
    body = registration(load_sample("form-d-coffee-th.json"), test_trader=True)

    with pytest.raises(ForbiddenError, match="test trader"):
        traders.register(body, date(2026, 12, 3), NOW, test_trader=False)


@pytest.mark.parametrize("body_says", [True, False])
def test_a_test_trader_is_one_the_token_names(body_says):
    body = registration(load_sample("form-d-coffee-th.json"), test_trader=body_says)

    profile = traders.register(body, date(2026, 12, 3), NOW, test_trader=True)

    assert profile.test_trader is True


def test_a_trader_is_no_test_trader_unless_the_token_says_so():
    body = registration(load_sample("form-d-coffee-th.json"))

    assert traders.register(body, date(2026, 12, 3), NOW).test_trader is False
