"""Operations' routes for the fee schedule: the rates in force and rates for a future day."""

from __future__ import annotations

from datetime import date

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict

from chalicelib.domain.errors import FieldProblem, ValidationFailedError
from chalicelib.domain.fees import FeeKind, NewFeeRate
from chalicelib.domain.identity import Access, Role
from chalicelib.handlers.api.routing import Call, endpoint
from chalicelib.wiring import container

blueprint = Blueprint(__name__)

_TAGS = ("operations",)


class FeeRateView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    kind: FeeKind
    amount_vnd: int
    effective_from: date
    source: str
    in_force: bool
    entered: bool
    entered_by: str | None = None
    entered_at: str | None = None
    version: int | None = None


class FeeScheduleView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    rates: list[FeeRateView]


@endpoint(
    blueprint,
    "/operations/fees",
    "GET",
    access=Access.only(Role.OPERATIONS, Role.AUDITOR),
    summary="The fee schedule: packaged and entered rates, and which is in force today",
    response=FeeScheduleView,
    tags=_TAGS,
)
def fee_schedule(call: Call) -> FeeScheduleView:
    from chalicelib.services.fees import fee_schedule_view

    rates = fee_schedule_view(container().fee_schedule, call.now)
    return FeeScheduleView(rates=[FeeRateView.model_validate(rate) for rate in rates])


@endpoint(
    blueprint,
    "/operations/fees/{kind}/{effective_from}",
    "PUT",
    access=Access.only(Role.OPERATIONS),
    summary="Enter the rate of a fee kind from a future day (a new circular); audited",
    body=NewFeeRate,
    response=FeeRateView,
    tags=_TAGS,
)
def enter_fee_rate(call: Call, kind: str, effective_from: str) -> FeeRateView:
    from chalicelib.services.fees import enter_fee_rate as enter

    rate, version = enter(
        container().fee_schedule,
        _kind(kind),
        _day(effective_from),
        call.body,
        call.caller.actor,
        call.now,
    )
    return FeeRateView(
        **rate.model_dump(),
        in_force=False,
        entered=True,
        entered_by=call.caller.actor,
        entered_at=call.now.isoformat(),
        version=version,
    )


def _kind(kind: str) -> FeeKind:
    try:
        return FeeKind(kind)
    except ValueError:
        raise ValidationFailedError(
            "Unknown fee kind",
            [FieldProblem("/path/kind", f"one of: {', '.join(k.value for k in FeeKind)}")],
        ) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailedError(
            "Not a date", [FieldProblem("/path/effective_from", "a day as YYYY-MM-DD")]
        ) from None
