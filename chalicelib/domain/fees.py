"""The C/O fee schedule: which amount is due for an issuance or a re-issuance on a given day.

The rates are data, each with the day it takes effect and the legal text that set it: the
packaged rates (`data/fee_schedule.json`) plus those operations enter for a future day, which
take effect on that day without a release. The amount is read once, when a dossier is
submitted, and stored on its payment order; later changes of the schedule never touch it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.domain.errors import RuleViolationError

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEDULE_FILE = Path(__file__).parent / "data" / "fee_schedule.json"


class FeeKind(StrEnum):
    ISSUANCE = "issuance"
    REISSUANCE = "reissuance"


class FeeRate(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    kind: FeeKind
    amount_vnd: int = Field(gt=0)
    effective_from: date
    source: str = Field(min_length=1)


class FeeSchedule(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    rates: tuple[FeeRate, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_rate_per_kind_and_day(self) -> FeeSchedule:
        seen = [(rate.kind, rate.effective_from) for rate in self.rates]
        if len(seen) != len(set(seen)):
            raise ValueError("two rates of the same kind take effect on the same day")
        return self

    def with_rates(self, entered: Sequence[FeeRate]) -> FeeSchedule:
        """This schedule with rates entered later; one entered for a kind and day replaces
        the packaged rate of that kind and day."""
        replaced = {(rate.kind, rate.effective_from) for rate in entered}
        kept = [rate for rate in self.rates if (rate.kind, rate.effective_from) not in replaced]
        ordered = sorted([*kept, *entered], key=lambda rate: (rate.kind, rate.effective_from))
        return FeeSchedule(rates=tuple(ordered))

    def rate_for(self, kind: FeeKind | str, on_date: date) -> FeeRate:
        """The rate of that kind in force on that (Vietnam) day: the latest that has begun."""
        in_force = [
            rate
            for rate in self.rates
            if rate.kind == FeeKind(kind) and rate.effective_from <= on_date
        ]
        if not in_force:
            raise RuleViolationError(
                f"No {FeeKind(kind).value} fee is in force on {on_date.isoformat()}",
                kind=str(kind),
                on_date=on_date.isoformat(),
            )
        return max(in_force, key=lambda rate: rate.effective_from)


@lru_cache(maxsize=1)
def default_fee_schedule() -> FeeSchedule:
    return FeeSchedule.model_validate_json(SCHEDULE_FILE.read_text(encoding="utf-8"))


class NewFeeRate(BaseModel):
    """A rate operations enter ahead of the day a new circular takes effect."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    amount_vnd: int = Field(gt=0, le=100_000_000)
    source: str = Field(min_length=3, max_length=200)


def check_takes_effect_later(effective_from: date, today: date) -> None:
    """A rate may only be entered for a day still to come: orders already made keep the fee
    in force when they were made, and a day's fee never changes once that day has begun."""
    if effective_from <= today:
        raise RuleViolationError(
            "A fee rate can only be entered for a future day",
            effective_from=effective_from.isoformat(),
            today=today.isoformat(),
        )


def fee_for(kind: FeeKind | str, on_date: date, schedule: FeeSchedule | None = None) -> int:
    """The fee in VND for one C/O set of that kind, submitted on that Vietnam day."""
    return (schedule or default_fee_schedule()).rate_for(kind, on_date).amount_vnd


def submission_day(submitted_at: datetime) -> date:
    """The Vietnam calendar day of a submission: the day a rate change is judged by."""
    return submitted_at.astimezone(VIETNAM).date()
