from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from chalicelib.domain.working_calendar import (
    DaysOff,
    WorkingCalendar,
    WorkingHours,
    WorkingPeriod,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HCM)


def test_six_working_hours_within_one_day_skip_the_lunch_break():
    calendar = WorkingCalendar()

    deadline = calendar.add_working_hours(local(2026, 12, 1, 8), 6)

    assert deadline == local(2026, 12, 1, 15).astimezone(UTC)


def test_deadline_starting_in_lunch_break_counts_from_one_pm():
    calendar = WorkingCalendar()

    deadline = calendar.add_working_hours(local(2026, 12, 1, 12, 30), 2)

    assert deadline == local(2026, 12, 1, 15)


def test_deadline_ending_exactly_at_noon_is_noon_not_after_lunch():
    calendar = WorkingCalendar()

    deadline = calendar.add_working_hours(local(2026, 12, 1, 10), 2)

    assert deadline == local(2026, 12, 1, 12)


def test_deadline_from_friday_afternoon_runs_over_the_weekend_to_monday():
    calendar = WorkingCalendar()

    deadline = calendar.add_working_hours(local(2026, 12, 4, 15), 6)  # a Friday

    assert deadline == local(2026, 12, 7, 12)  # Monday: 2 h Friday, 4 h Monday morning


def test_start_before_opening_counts_from_eight():
    calendar = WorkingCalendar()

    deadline = calendar.add_working_hours(local(2026, 12, 1, 6), 1)

    assert deadline == local(2026, 12, 1, 9)


def test_start_after_closing_counts_from_next_morning():
    calendar = WorkingCalendar()

    deadline = calendar.add_working_hours(local(2026, 12, 1, 19), 6)

    assert deadline == local(2026, 12, 2, 15)


def test_national_day_holidays_are_skipped():
    calendar = WorkingCalendar()

    # Mon 31 Aug 2026 (substituted day off), Tue 1 and Wed 2 Sep 2026 are days off.
    deadline = calendar.add_working_hours(local(2026, 8, 28, 15), 6)

    assert deadline == local(2026, 9, 3, 12)


def test_lunar_new_year_week_is_skipped():
    calendar = WorkingCalendar()

    # Tet 2026: Mon 16 to Fri 20 Feb are public holidays.
    deadline = calendar.add_working_hours(local(2026, 2, 13, 16), 2)

    assert deadline == local(2026, 2, 23, 9)


def test_national_make_up_saturday_is_a_working_day():
    calendar = WorkingCalendar()

    # Saturday 22 Aug 2026 is worked in exchange for Monday 31 Aug.
    assert calendar.is_working_time(local(2026, 8, 22, 9))
    deadline = calendar.add_working_hours(local(2026, 8, 21, 16), 2)
    assert deadline == local(2026, 8, 22, 9)


def test_department_make_up_saturday_and_own_day_off():
    calendar = WorkingCalendar(
        days=DaysOff(make_up_days=(date(2026, 12, 5),), days_off=(date(2026, 12, 7),))
    )

    deadline = calendar.add_working_hours(local(2026, 12, 4, 16), 10)

    # 1 h Friday, 8 h on the make-up Saturday, Monday off, 1 h Tuesday.
    assert deadline == local(2026, 12, 8, 9)


def test_department_make_up_day_overrides_a_public_holiday():
    calendar = WorkingCalendar(days=DaysOff(make_up_days=(date(2026, 9, 2),)))

    assert calendar.is_working_time(local(2026, 9, 2, 9))
    assert not calendar.is_working_time(local(2026, 9, 1, 9))


def test_is_working_time_honours_breaks_weekends_and_bounds():
    calendar = WorkingCalendar()

    assert calendar.is_working_time(local(2026, 12, 1, 8))
    assert not calendar.is_working_time(local(2026, 12, 1, 12))
    assert not calendar.is_working_time(local(2026, 12, 1, 17))
    assert not calendar.is_working_time(local(2026, 12, 5, 9))  # Saturday


def test_utc_input_is_read_in_vietnam_time():
    calendar = WorkingCalendar()

    # 01:00 UTC is 08:00 in Ho Chi Minh City.
    deadline = calendar.add_working_hours(datetime(2026, 12, 1, 1, tzinfo=UTC), 1)

    assert deadline == datetime(2026, 12, 1, 2, tzinfo=UTC)
    assert deadline.tzinfo == UTC


def test_configured_hours_are_used():
    hours = WorkingHours(
        weekdays=(0, 1, 2, 3, 4, 5),
        periods=(WorkingPeriod(start=time(7, 30), end=time(11, 30)),),
    )
    calendar = WorkingCalendar(hours=hours)

    deadline = calendar.add_working_hours(local(2026, 12, 4, 11), timedelta(hours=1))

    assert deadline == local(2026, 12, 5, 8)  # Saturday works in this department


def test_add_working_days_ends_at_close_of_business_skipping_holidays():
    calendar = WorkingCalendar()

    deadline = calendar.add_working_days(local(2026, 4, 29, 10), 2)

    # 30 Apr and 1 May are holidays, then the weekend: Mon 4 and Tue 5 May.
    assert deadline == local(2026, 5, 5, 17)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        WorkingCalendar().add_working_hours(datetime(2026, 12, 1, 8), 1)


def test_overlapping_periods_and_empty_weekdays_are_refused():
    with pytest.raises(ValidationError):
        WorkingHours(
            periods=(
                WorkingPeriod(start=time(8), end=time(12)),
                WorkingPeriod(start=time(11), end=time(17)),
            )
        )
    with pytest.raises(ValidationError):
        WorkingHours(weekdays=())
