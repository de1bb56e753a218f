"""The dossier lifecycle's steps, as the state machine's task functions call them."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import NotFoundError
from chalicelib.telemetry import logger


def _dossier(deps: Any, dossier_id: str) -> dict[str, Any]:
    item = deps.table.get_item(Key={"PK": f"DOSSIER#{dossier_id}", "SK": "META"}).get("Item")
    if item is None:
        raise NotFoundError(f"No dossier {dossier_id}")
    return item


def hold_for_decision(deps: Any, dossier_id: str, step: str, attempt: int, token: str) -> None:
    _dossier(deps, dossier_id)
    logger.info("waiting for decision", step=step, attempt=attempt)


def record_outcome(
    deps: Any, dossier_id: str, outcome: str, failed_step: str, error: dict[str, Any] | None
) -> None:
    _dossier(deps, dossier_id)
    logger.warning("workflow outcome", outcome=outcome, failed_step=failed_step)


def allocate_reference(deps: Any, dossier_id: str) -> dict[str, str]:
    _dossier(deps, dossier_id)
    return {"dossier_id": dossier_id}


def issue_receipt(deps: Any, dossier_id: str) -> dict[str, str]:
    _dossier(deps, dossier_id)
    return {"dossier_id": dossier_id}


def render_certificate(deps: Any, dossier_id: str) -> dict[str, str]:
    _dossier(deps, dossier_id)
    return {"dossier_id": dossier_id}


def sign_certificate(deps: Any, dossier_id: str) -> dict[str, str]:
    _dossier(deps, dossier_id)
    return {"dossier_id": dossier_id}


def publish_certificate(deps: Any, dossier_id: str) -> dict[str, str]:
    _dossier(deps, dossier_id)
    return {"dossier_id": dossier_id}


def notify_issued(deps: Any, dossier_id: str) -> dict[str, str]:
    _dossier(deps, dossier_id)
    return {"dossier_id": dossier_id}
