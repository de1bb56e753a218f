"""Sends the exporter's milestone notices to the addresses on the trader profile."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.dossiers import Dossier
from chalicelib.domain.notifications import notice_for
from chalicelib.telemetry import logger


def notify_exporter(deps: Any, dossier: Dossier, event: str) -> str | None:
    trader = deps.dossier_store.get_trader(dossier.trader_tax_code)
    recipients = [trader.email] if trader is not None and trader.email else []
    if not recipients:
        logger.info("no address to notify", dossier_id=dossier.id, notice=event)
        return None
    message_id = deps.mailer.send(recipients, notice_for(event, dossier.id))
    logger.info("exporter notified", dossier_id=dossier.id, notice=event)
    return message_id
