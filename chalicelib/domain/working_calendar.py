"""A department's working calendar: when its officers work, for deadlines such as review SLAs.

A day is a working day when it is one of the department's working weekdays or a make-up
working day (national or the department's own), and is neither a Vietnamese public holiday
(from the `holidays` package, which also knows the government's substituted days off) nor one
of the department's own days off. The department's own entries win over the national ones.
Deadlines are computed in the department's time zone and returned in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

VIETNAM_TIME = "Asia/Ho_Chi_Minh"

# A calendar with no working day in ten years is a configuration error, not a long deadline.
_SEARCH_LIMIT_DAYS = 3660


class WorkingPeriod(BaseModel):
    """One stretch of working time within a day, e.g. 08:00-12:00."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    start: time
    end: time

    @model_validator(mode="after")
    def _start_before_end(self) -> WorkingPeriod:
        if self.start >= self.end:
            raise ValueError("a working period must start before it ends")
        return self


class WorkingHours(BaseModel):
    """Working weekdays (Monday = 0) and the periods worked on each working day."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    periods: tuple[WorkingPeriod, ...] = Field(
        default_factory=lambda: (
            WorkingPeriod(start=time(8, 0), end=time(12, 0)),
            WorkingPeriod(start=time(13, 0), end=time(17, 0)),
        )
    )
    timezone: str = VIETNAM_TIME

    @field_validator("weekdays")
    @classmethod
    def _weekdays_in_range(cls, weekdays: tuple[int, ...]) -> tuple[int, ...]:
        if not weekdays or any(day < 0 or day > 6 for day in weekdays):
            raise ValueError("weekdays must be a non-empty list of 0 (Monday) to 6 (Sunday)")
        return tuple(sorted(set(weekdays)))

    @field_validator("periods")
    @classmethod
    def _periods_ordered(cls, periods: tuple[WorkingPeriod, ...]) -> tuple[WorkingPeriod, ...]:
        ordered = tuple(sorted(periods, key=lambda period: period.start))
        if not ordered:
            raise ValueError("at least one working period is needed")
        for earlier, later in pairwise(ordered):
            if later.start < earlier.end:
                raise ValueError("working periods must not overlap")
        return ordered

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, timezone: str) -> str:
        # ZoneInfo raises KeyError for an unknown name, which pydantic would not report.
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {timezone[:60]!r}") from error
        return timezone


class DaysOff(BaseModel):
    """The department's own exceptions to the national calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    days_off: tuple[date, ...] = Field(default=(), max_length=400)
    make_up_days: tuple[date, ...] = Field(default=(), max_length=400)

    @model_validator(mode="after")
    def _no_day_both_ways(self) -> DaysOff:
        both = set(self.days_off) & set(self.make_up_days)
        if both:
            raise ValueError(f"days both off and make-up: {sorted(both)}")
        return self


class WorkingCalendar:
    """Answers whether a moment is working time and adds working hours or days to a moment."""

    def __init__(self, hours: WorkingHours | None = None, days: DaysOff | None = None) -> None:
        self.hours = hours or WorkingHours()
        self.days = days or DaysOff()
        self._zone = ZoneInfo(self.hours.timezone)

    @cached_property
    def _public_holidays(self) -> Any:
        # Imported here: the package takes about 100 ms to import, paid only when needed.
        import holidays

        return holidays.country_holidays("VN")

    def is_working_day(self, day: date) -> bool:
        if day in self.days.make_up_days:
            return True
        if day in self.days.days_off:
            return False
        national = self._public_holidays
        # The membership test loads the year, which also fills the national make-up days.
        is_public_holiday = day in national
        if day in national.weekend_workdays:
            return True
        return day.weekday() in self.hours.weekdays and not is_public_holiday

    def is_working_time(self, moment: datetime) -> bool:
        local = _aware(moment).astimezone(self._zone)
        if not self.is_working_day(local.date()):
            return False
        return any(period.start <= local.time() < period.end for period in self.hours.periods)

    def add_working_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """The moment `hours` of working time after `start`; counting begins at the next
        working moment when `start` falls outside working time."""
        remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if remaining < timedelta(0):
            raise ValueError("working hours to add must not be negative")
        cursor = _aware(start).astimezone(self._zone)
        for opens, closes in self._working_stretches_from(cursor):
            begin = max(cursor, opens)
            available = closes - begin
            if remaining <= available:
                return (begin + remaining).astimezone(UTC)
            remaining -= available
        raise ValueError("the working calendar has no working time ahead")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Close of business on the `days`-th working day after the day of `start`."""
        if days < 1:
            raise ValueError("working days to add must be at least 1")
        day = _aware(start).astimezone(self._zone).date()
        counted = 0
        for _ in range(_SEARCH_LIMIT_DAYS):
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
            if counted == days:
                return self._closing_time(day).astimezone(UTC)
        raise ValueError("the working calendar has no working day ahead")

    def _working_stretches_from(self, cursor: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = cursor.date()
        for _ in range(_SEARCH_LIMIT_DAYS):
            if self.is_working_day(day):
                for period in self.hours.periods:
                    closes = datetime.combine(day, period.end, self._zone)
                    if closes > cursor:
                        yield datetime.combine(day, period.start, self._zone), closes
            day += timedelta(days=1)

    def _closing_time(self, day: date) -> datetime:
        return datetime.combine(day, self.hours.periods[-1].end, self._zone)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment
