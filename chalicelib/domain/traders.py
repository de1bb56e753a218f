"""The trader profile an exporter registers before its first C/O (Decree 31, Art. 13).

A tax code (MST) has 10 digits whose last is a check digit over the first nine, or 13 for a
branch written `NNNNNNNNNN-NNN` (the parent's code and a branch number). The profile is
confirmed every two years; once that renewal is overdue no new dossier may be submitted.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.errors import ForbiddenError, RuleViolationError

CHECK_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
RENEWAL_YEARS = 2

_TAX_CODE = re.compile(r"^(\d{10})(?:-?(\d{3}))?$")

Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def tax_code_check_digit(first_nine: str) -> int | None:
    """The MST check digit, or None when the weighted sum leaves no valid digit."""
    remainder = sum(int(d) * w for d, w in zip(first_nine, CHECK_WEIGHTS, strict=True)) % 11
    check = 10 - remainder
    return check if 0 <= check <= 9 else None


def normalise_tax_code(raw: str) -> str:
    """Return the canonical form (`NNNNNNNNNN` or `NNNNNNNNNN-NNN`) or raise ValueError."""
    match = _TAX_CODE.match(raw.strip())
    if not match:
        raise ValueError("a tax code has 10 digits, or 13 as NNNNNNNNNN-NNN for a branch")

    head, branch = match.groups()
    if tax_code_check_digit(head[:9]) != int(head[9]):
        raise ValueError("the tax code's check digit is wrong")
    if branch is None:
        return head
    if branch == "000":
        raise ValueError("a branch number runs from 001 to 999")
    return f"{head}-{branch}"


def is_valid_tax_code(raw: str) -> bool:
    try:
        normalise_tax_code(raw)
    except ValueError:
        return False
    return True


TaxCode = Annotated[str, AfterValidator(normalise_tax_code)]


class _Strict(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class Person(_Strict):
    full_name: Text
    title: Text


class Signatory(_Strict):
    """Someone allowed to sign applications; the specimen is an uploaded image's key."""

    full_name: Text
    title: Text
    specimen_signature_key: Annotated[str, StringConstraints(max_length=300)] | None = None


class Factory(_Strict):
    name: Text
    address: LongText


class TraderDetails(_Strict):
    """What the exporter declares, on registration and on every update."""

    name_vi: Text
    name_en: Text
    address: LongText
    legal_representative: Person
    signatories: list[Signatory] = Field(min_length=1, max_length=20)
    factories: list[Factory] = Field(default_factory=list, max_length=50)
    email: (
        Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
        | None
    ) = None


class TraderRegistration(TraderDetails):
    tax_code: TaxCode
    # Whether a trader tests is the token's word; the body may only repeat it.
    test_trader: bool = False


class TraderProfile(TraderRegistration):
    last_confirmed_on: date
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime

    @property
    def renewal_due_on(self) -> date:
        return add_years(self.last_confirmed_on, RENEWAL_YEARS)

    def renewal_overdue(self, today: date) -> bool:
        return today > self.renewal_due_on

    def public_view(self) -> dict[str, object]:
        return {**self.model_dump(mode="json"), "renewal_due_on": self.renewal_due_on.isoformat()}


def add_years(day: date, years: int) -> date:
    """Same day `years` later; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def register(
    registration: TraderRegistration, today: date, now: datetime, test_trader: bool = False
) -> TraderProfile:
    """A new profile; `test_trader` is what the caller's token says, never the body."""
    if registration.test_trader and not test_trader:
        raise ForbiddenError("Only a token issued for a test trader may register one")
    return TraderProfile(
        **{**registration.model_dump(), "test_trader": test_trader},
        last_confirmed_on=today,
        version=1,
        created_at=now,
        updated_at=now,
    )


def update(
    profile: TraderProfile, details: TraderDetails, today: date, now: datetime
) -> TraderProfile:
    """An update is also the periodic confirmation: the renewal clock restarts."""
    return TraderProfile(
        **{
            **profile.model_dump(),
            **details.model_dump(),
            "last_confirmed_on": today,
            "version": profile.version + 1,
            "updated_at": now,
        }
    )


def ensure_may_submit(profile: TraderProfile, today: date) -> None:
    if profile.renewal_overdue(today):
        raise RuleViolationError(
            f"The trader profile was due for renewal on {profile.renewal_due_on.isoformat()}; "
            "confirm or update it before submitting a new dossier",
            renewal_due_on=profile.renewal_due_on.isoformat(),
        )
