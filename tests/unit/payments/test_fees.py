from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.errors import RuleViolationError
from chalicelib.domain.fees import (
    FeeKind,
    FeeRate,
    FeeSchedule,
    check_takes_effect_later,
    default_fee_schedule,
    fee_for,
    submission_day,
)

CIRCULAR_36 = date(2023, 7, 21)


def test_circular_36_rates_apply_from_21_july_2023():
    assert fee_for(FeeKind.ISSUANCE, CIRCULAR_36) == 60_000
    assert fee_for(FeeKind.REISSUANCE, CIRCULAR_36) == 30_000
    assert fee_for("issuance", date(2026, 12, 3)) == 60_000


def test_no_fee_is_due_before_the_first_rate_takes_effect():
    with pytest.raises(RuleViolationError):
        fee_for(FeeKind.ISSUANCE, date(2023, 7, 20))


def test_every_default_rate_names_its_legal_source():
    assert {rate.source for rate in default_fee_schedule().rates} == {"Circular 36/2023/TT-BTC"}


def test_a_new_rate_takes_effect_on_its_day_without_touching_earlier_days():
    schedule = FeeSchedule.model_validate(
        {
            "rates": [
                *[rate.model_dump() for rate in default_fee_schedule().rates],
                {
                    "kind": "issuance",
                    "amount_vnd": 80_000,
                    "effective_from": "2027-01-01",
                    "source": "a later circular",
                },
            ]
        }
    )

    assert fee_for(FeeKind.ISSUANCE, date(2026, 12, 31), schedule) == 60_000
    assert fee_for(FeeKind.ISSUANCE, date(2027, 1, 1), schedule) == 80_000
    assert fee_for(FeeKind.REISSUANCE, date(2027, 1, 1), schedule) == 30_000


def test_two_rates_of_one_kind_on_the_same_day_are_refused():
    rate = {"kind": "issuance", "amount_vnd": 1, "effective_from": "2027-01-01", "source": "x"}
    with pytest.raises(ValueError, match="same day"):
        FeeSchedule.model_validate({"rates": [rate, rate | {"amount_vnd": 2}]})


def test_the_submission_day_is_the_vietnam_calendar_day():
    just_after_midnight_in_hanoi = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)

    assert submission_day(just_after_midnight_in_hanoi) == date(2027, 1, 1)


def test_an_entered_rate_replaces_the_packaged_rate_of_its_kind_and_day_only():
    entered = FeeRate(
        kind=FeeKind.ISSUANCE, amount_vnd=75_000, effective_from=date(2027, 7, 1), source="C 99"
    )
    correction = FeeRate(
        kind=FeeKind.REISSUANCE, amount_vnd=35_000, effective_from=CIRCULAR_36, source="fix"
    )

    schedule = default_fee_schedule().with_rates([entered, correction])

    assert fee_for(FeeKind.ISSUANCE, date(2027, 6, 30), schedule) == 60_000
    assert fee_for(FeeKind.ISSUANCE, date(2027, 7, 1), schedule) == 75_000
    assert fee_for(FeeKind.REISSUANCE, date(2027, 7, 1), schedule) == 35_000
    assert len(schedule.rates) == 3


@pytest.mark.parametrize("day", [date(2026, 12, 3), date(2026, 11, 1)])
def test_a_rate_for_today_or_a_past_day_is_refused(day):
    with pytest.raises(RuleViolationError, match="future day"):
        check_takes_effect_later(day, today=date(2026, 12, 3))


def test_a_rate_for_tomorrow_may_be_entered():
    check_takes_effect_later(date(2026, 12, 4), today=date(2026, 12, 3))
