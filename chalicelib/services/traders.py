"""Use cases of the trader profile: register, read, update (which also confirms it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools import Logger

from chalicelib.adapters.dossier_store import DossierStore
from chalicelib.domain import traders
from chalicelib.domain.dossiers import vietnam_day
from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.domain.traders import TraderDetails, TraderProfile, TraderRegistration

logger = Logger(service="traders")


class TraderService:
    def __init__(self, store: DossierStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def register(
        self, registration: TraderRegistration, caller_tax_code: str, test_trader: bool = False
    ) -> TraderProfile:
        """An exporter registers its own tax code, once; a test trader only by its token."""
        if registration.tax_code != caller_tax_code:
            raise NotFoundError("No trader with this tax code is yours")
        now = self._clock()

        profile = traders.register(registration, vietnam_day(now), now, test_trader)
        try:
            self._store.save_trader(profile)
        except ConflictError as exc:
            raise ConflictError("This trader is already registered; update it instead") from exc

        logger.info("trader registered", extra={"tax_code": profile.tax_code})
        return profile

    def get(self, tax_code: str) -> TraderProfile:
        profile = self._store.get_trader(tax_code)
        if profile is None:
            raise NotFoundError("No trader profile is registered for this tax code")
        return profile

    def update(self, tax_code: str, details: TraderDetails) -> TraderProfile:
        now = self._clock()
        profile = traders.update(self.get(tax_code), details, vietnam_day(now), now)
        self._store.save_trader(profile)
        logger.info("trader updated", extra={"tax_code": tax_code, "version": profile.version})
        return profile
