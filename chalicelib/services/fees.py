"""Operations keep the fee schedule: rates entered ahead of the day a new circular applies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.domain.fees import (
    FeeKind,
    FeeRate,
    FeeSchedule,
    NewFeeRate,
    check_takes_effect_later,
    submission_day,
)
from chalicelib.telemetry import logger


class FeeSchedulePort(Protocol):
    def schedule(self) -> FeeSchedule: ...

    def entered_rates(self) -> list[tuple[FeeRate, dict[str, Any]]]: ...

    def enter_rate(self, rate: FeeRate, actor: str, now: datetime) -> int: ...


def enter_fee_rate(
    store: FeeSchedulePort,
    kind: FeeKind,
    effective_from: date,
    request: NewFeeRate,
    actor: str,
    now: datetime,
) -> tuple[FeeRate, int]:
    """Enter (or correct, while it is not yet in force) the rate of a kind from a future day."""
    check_takes_effect_later(effective_from, today=submission_day(now))
    rate = FeeRate(
        kind=kind,
        amount_vnd=request.amount_vnd,
        effective_from=effective_from,
        source=request.source,
    )
    version = store.enter_rate(rate, actor, now)
    logger.info(
        "fee rate entered",
        kind=kind.value,
        effective_from=effective_from.isoformat(),
        amount_vnd=rate.amount_vnd,
        version=version,
    )
    return rate, version


def fee_schedule_view(store: FeeSchedulePort, now: datetime) -> list[dict[str, Any]]:
    """Every rate, packaged or entered, with whether it is the one in force today."""
    entries = {(rate.kind, rate.effective_from): entry for rate, entry in store.entered_rates()}
    schedule = store.schedule()
    today = submission_day(now)
    in_force = {
        kind: schedule.rate_for(kind, today)
        for kind in FeeKind
        if any(rate.kind == kind and rate.effective_from <= today for rate in schedule.rates)
    }
    return [
        {
            **rate.model_dump(mode="json"),
            "in_force": in_force.get(rate.kind) == rate,
            "entered": (rate.kind, rate.effective_from) in entries,
            **entries.get((rate.kind, rate.effective_from), {}),
        }
        for rate in schedule.rates
    ]
