"""Operations' view of reconciliation: a day's statement files, their reports, and the
department's open alerts."""

from __future__ import annotations

from datetime import date
from typing import Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.identity import Access, Role
from chalicelib.handlers.api.routing import Call, Reply, endpoint
from chalicelib.services.reconciliation import day_report_keys
from chalicelib.wiring import container

blueprint = Blueprint(__name__)

OPERATIONS_READ = Access.only(Role.OPERATIONS, Role.AUDITOR)
_DEPARTMENT = r"^[A-Z0-9-]{2,12}$"


class StatementFileView(BaseModel):
    model_config = ConfigDict(defer_build=True)
    file_hash: str
    status: str
    sequence_number: str = ""
    report_keys: list[str] = Field(default_factory=list)


class DayView(BaseModel):
    model_config = ConfigDict(defer_build=True)
    department: str
    day: date
    files: list[StatementFileView]


class AlertView(BaseModel):
    model_config = ConfigDict(defer_build=True)
    raised_at: str
    kind: str
    detail: str = ""


class AlertsView(BaseModel):
    model_config = ConfigDict(defer_build=True)
    department: str
    alerts: list[AlertView]


class ReportQuery(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    format: Literal["json", "csv"] = "json"
    file: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


@endpoint(
    blueprint,
    "/operations/reconciliation/{department}/alerts",
    "GET",
    access=OPERATIONS_READ,
    summary="The department's open reconciliation alerts, newest first (at most 100)",
    response=AlertsView,
    tags=("operations",),
)
def reconciliation_alerts(call: Call, department: str) -> AlertsView:
    _check_department(department)
    alerts = container().reconciliation.open_alerts(department)
    return AlertsView(
        department=department, alerts=[AlertView.model_validate(item) for item in alerts]
    )


@endpoint(
    blueprint,
    "/operations/reconciliation/{department}/{day}",
    "GET",
    access=OPERATIONS_READ,
    summary="Statement files reconciled for a department and day",
    response=DayView,
    tags=("operations",),
)
def reconciliation_day(call: Call, department: str, day: str) -> DayView:
    statement_day = _parse_day(department, day)
    files = container().reconciliation.statement_files(department, statement_day)
    return DayView(
        department=department,
        day=statement_day,
        files=[StatementFileView.model_validate(item) for item in files],
    )


@endpoint(
    blueprint,
    "/operations/reconciliation/{department}/{day}/report",
    "GET",
    access=OPERATIONS_READ,
    summary="The reconciliation report of a day (JSON or CSV, one row per payment reference)",
    query=ReportQuery,
    produces=("application/json", "text/csv"),
    tags=("operations",),
)
def reconciliation_report(call: Call, department: str, day: str) -> Reply:
    statement_day = _parse_day(department, day)
    service = container().reconciliation
    keys = day_report_keys(service.statement_files(department, statement_day), call.query.file)
    key = keys.get(call.query.format)
    if key is None:
        raise NotFoundError(f"no reconciliation report for {department} on {day}")
    body = service.report(key).decode("utf-8")
    content_type = "text/csv; charset=utf-8" if call.query.format == "csv" else "application/json"
    return Reply(body, headers={"Content-Type": content_type})


def _check_department(department: str) -> None:
    import re

    from chalicelib.domain.errors import FieldProblem, ValidationFailedError

    if not re.match(_DEPARTMENT, department):
        problem = FieldProblem("/path/department", "not a department code")
        raise ValidationFailedError("The path is invalid", [problem])


def _parse_day(department: str, day: str) -> date:
    import re

    from chalicelib.domain.errors import FieldProblem, ValidationFailedError

    problems = []
    if not re.match(_DEPARTMENT, department):
        problems.append(FieldProblem("/path/department", "not a department code"))
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        problems.append(FieldProblem("/path/day", "not a date (yyyy-mm-dd)"))
    if problems:
        raise ValidationFailedError("The path is invalid", problems)
    return parsed
