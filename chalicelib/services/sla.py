"""The review deadline watch: flags overdue dossiers once, counts them, tells the department."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.departments import ContactRole
from chalicelib.domain.notifications import Notice
from chalicelib.services.workflow import Lifecycle
from chalicelib.telemetry import count_event, logger


def watch_review_deadlines(deps: Any, departments: list[str] | None = None) -> dict[str, Any]:
    codes = departments or deps.reconciliation_departments.live_departments()
    lifecycle = Lifecycle(deps)
    flagged: dict[str, list[str]] = {}
    for code in codes:
        overdue = [dossier.id for dossier in lifecycle.overdue_reviews(code)]
        if not overdue:
            continue
        flagged[code] = overdue
        for _ in overdue:
            count_event("ReviewOverdue", department=code)
        _tell_department(deps, code, overdue)
    logger.info("review deadlines watched", departments=len(codes), flagged=len(flagged))
    return {"flagged": flagged}


def _tell_department(deps: Any, code: str, dossier_ids: list[str]) -> None:
    department = deps.departments.get(code)
    recipients = [
        contact.email for contact in department.contacts_in(ContactRole.REVIEW_SPECIALIST)
    ] or [c.email for c in department.contacts or ()]
    listing = "\n".join(f"- {dossier_id}" for dossier_id in dossier_ids)
    notice = Notice(
        subject=f"Hồ sơ C/O quá hạn thẩm định / C/O dossiers past review deadline ({code})",
        body=f"Các hồ sơ sau đã quá 6 giờ làm việc / Past 6 working hours:\n{listing}\n",
    )
    try:
        deps.mailer.send(recipients, notice)
    except Exception:
        logger.exception("department not notified", department=code)
