"""The catalogue of C/O forms, kept as data in `data/forms.json`.

Each form names its agreement, the importing countries it applies to, the origin criteria a
goods line may claim, the boxes and per-line fields it requires, the remarks it offers, its
retroactive-issuance rule and the attachments a dossier needs. Rules read the catalogue;
no code branches on a form's code.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Annotated, Literal

import iso3166
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.errors import NotFoundError, RuleViolationError

ANY_COUNTRY = "*"
EXPORTING_PARTY = "VN"

FieldLevel = Literal["required", "optional", "with_rvc", "not_applicable"]
AttachmentKind = Literal[
    "export_customs_declaration",
    "commercial_invoice",
    "transport_document",
    "origin_statement",
    "supplier_declaration",
    "other",
]

PartyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
ProducerMode = Literal["same_as_exporter", "not_available", "confidential"]

_CRITERION_PART = re.compile(r"^([A-Z]{2,4})(?:\s*(\d{1,3}(?:\.\d{1,2})?)\s*%)?$")


class _Entry(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class RetroactiveLimitExceededError(RuleViolationError):
    """The goods left longer ago than the form allows a certificate to be issued for."""


class RetroactiveRule(_Entry):
    after_days: int = Field(ge=0)
    max_days: int = Field(gt=0)
    remark: str
    source: str

    def remark_on(self, form_name: str, departure: date, issued_on: date) -> str | None:
        """The remark a certificate issued on `issued_on` carries, if any; refuses one issued
        later than the limit after the goods left."""
        days_after = (issued_on - departure).days
        if days_after > self.max_days:
            raise RetroactiveLimitExceededError(
                f"{form_name} cannot be issued more than {self.max_days} days after departure; "
                f"the goods left on {departure.isoformat()}, {days_after} days before "
                f"{issued_on.isoformat()}",
                days_after_departure=days_after,
            )
        return self.remark if days_after > self.after_days else None


class ProducerBox(_Entry):
    """A form's producer box: what it prints when no producer is named."""

    texts: dict[ProducerMode, str]
    source: str


class RequiredAttachment(_Entry):
    kind: AttachmentKind
    may_defer: bool


class CriterionPart(_Entry):
    code: str
    rvc_percent: Decimal | None = None

    def __str__(self) -> str:
        return self.code if self.rvc_percent is None else f"{self.code} {self.rvc_percent}%"


class Form(_Entry):
    code: str
    name: str
    agreement: str
    preferential: bool
    importing_countries: list[str] | Literal["*"]
    excluded_countries: list[str]
    origin_criteria: list[str]
    rvc_minimum_percent: Decimal | None
    required_boxes: list[str]
    line_fields: dict[str, FieldLevel]
    remark_options: list[str]
    retroactive: RetroactiveRule | None
    reference_party: Literal["importing_country"] | PartyCode
    required_attachments: list[RequiredAttachment]
    producer_box: ProducerBox | None = None

    def applies_to(self, country: str) -> bool:
        if country in self.excluded_countries or country == EXPORTING_PARTY:
            return False
        if self.importing_countries == ANY_COUNTRY:
            return country in iso3166.countries_by_alpha2
        return country in self.importing_countries

    def importing_party_code(self, importing_country: str) -> str:
        """The 2 letters after `VN-` in a reference number: the importing country's code, or
        the agreement's fixed party code (e.g. `EU` under the EVFTA)."""
        if self.reference_party == "importing_country":
            return importing_country
        return self.reference_party

    def retroactive_remark(self, departure: date, issued_on: date) -> str | None:
        """The retroactive-issuance remark due on `issued_on`, if the form has such a rule."""
        if self.retroactive is None:
            return None
        return self.retroactive.remark_on(self.name, departure, issued_on)

    def line_field(self, name: str) -> FieldLevel:
        return self.line_fields.get(name, "optional")

    def requires_attachment(self, kind: str) -> RequiredAttachment | None:
        return next((a for a in self.required_attachments if a.kind == kind), None)


class Catalogue(_Entry):
    remarks: dict[str, str]
    derived_remarks: list[str]
    forms: list[Form]

    def form(self, code: str) -> Form:
        found = next((f for f in self.forms if f.code == code), None)
        if found is None:
            raise NotFoundError(f"Unknown form {code!r}", form=code)
        return found

    def codes(self) -> list[str]:
        return [f.code for f in self.forms]

    def remark_text(self, remark: str) -> str:
        return self.remarks[remark]


@cache
def catalogue() -> Catalogue:
    """The packaged catalogue, read once per process."""
    text = resources.files("chalicelib.domain.data").joinpath("forms.json").read_text("utf-8")
    document = json.loads(text)
    document.pop("about", None)
    return Catalogue.model_validate(document)


def parse_origin_criterion(text: str) -> list[CriterionPart]:
    """Split `RVC 40%`, `CTH`, `RVC 35% + CTSH` into parts; ValueError when unreadable."""
    parts = []
    for raw in text.upper().split("+"):
        match = _CRITERION_PART.match(raw.strip())
        if not match:
            raise ValueError(f"cannot read origin criterion {text!r}")
        code, percent = match.groups()
        parts.append(CriterionPart(code=code, rvc_percent=Decimal(percent) if percent else None))
    return parts


def criterion_problems(form: Form, parts: list[CriterionPart]) -> list[str]:
    """What is wrong with a line's criterion under this form, as sentences."""
    problems = []
    for part in parts:
        if part.code not in form.origin_criteria:
            allowed = ", ".join(form.origin_criteria) or "none"
            problems.append(f"{part.code} is not an origin criterion of {form.name} ({allowed})")
        elif part.code == "RVC" and part.rvc_percent is None:
            problems.append("an RVC criterion states its percentage, e.g. 'RVC 40%'")
        elif part.code != "RVC" and part.rvc_percent is not None:
            problems.append(f"{part.code} takes no percentage")
        elif (
            part.code == "RVC"
            and form.rvc_minimum_percent is not None
            and part.rvc_percent is not None
            and part.rvc_percent < form.rvc_minimum_percent
        ):
            problems.append(
                f"{form.name} requires a regional value content of at least "
                f"{form.rvc_minimum_percent}%"
            )
    return problems


def uses_rvc(parts: list[CriterionPart]) -> bool:
    return any(part.code == "RVC" for part in parts)
