"""The C/O fee schedule: which amount is due for an issuance or a re-issuance on a given day.

The rates are data (`data/fee_schedule.json`), each with the day it takes effect and the legal
text that set it, so a new circular is a data change. The amount is read once, when a dossier
is submitted, and stored on its payment order; later changes of the schedule never touch it.
"""

from __future__ import annotations

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


def fee_for(kind: FeeKind | str, on_date: date, schedule: FeeSchedule | None = None) -> int:
    """The fee in VND for one C/O set of that kind, submitted on that Vietnam day."""
    return (schedule or default_fee_schedule()).rate_for(kind, on_date).amount_vnd


def submission_day(submitted_at: datetime) -> date:
    """The Vietnam calendar day of a submission: the day a rate change is judged by."""
    return submitted_at.astimezone(VIETNAM).date()
