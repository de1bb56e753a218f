"""The stage's configuration, validated once per cold start.

Every value comes from the function's environment (set per stage in `.chalice/config.json`).
Resource names have no defaults: a stage that forgets one fails at start, naming it.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(RuntimeError):
    """The environment does not describe a usable stage."""


class Settings(BaseModel):
    # A plain model over the environment: pydantic-settings would add 50 ms to every cold
    # start (it imports asyncio and dotenv) for nothing this stage needs.
    model_config = ConfigDict(extra="ignore", frozen=True)

    STAGE: str = Field(min_length=1)
    APP_VERSION: str = "0.1.0"
    AWS_REGION: str = Field(default="ap-southeast-1", validation_alias="AWS_DEFAULT_REGION")

    TABLE_NAME: str = Field(min_length=3)
    DOCUMENTS_BUCKET: str = Field(min_length=3)
    STATEMENTS_BUCKET: str = Field(min_length=3)
    DOSSIER_STATE_MACHINE_ARN: str = Field(pattern=r"^arn:aws:states:")

    JWT_ISSUER: str = Field(min_length=1)
    JWT_AUDIENCE: str = Field(min_length=1)
    JWKS_URL: str = Field(pattern=r"^(https://|file:)")

    BANK_SECRET_PREFIX: str = Field(min_length=1)
    SIGNING_SECRET_NAME: str = ""
    SIGNING_KMS_KEY_ID: str = ""
    SANDBOX_SIGNING_SECRET_NAME: str = ""  # test key for sandbox departments (never KMS)
    TIMESTAMP_AUTHORITY_URL: str = ""
    PUBLIC_BASE_URL: str = Field(pattern=r"^https?://")
    MAIL_SENDER: str = Field(min_length=3)

    PAYMENT_TIMEOUT_DAYS: int = Field(default=7, ge=1, le=60)
    DEPARTMENT_CODES: str = ""
    # Only the local stack lets a live department without a receipt provider issue test
    # receipts; elsewhere such a receipt waits for operations.
    TEST_RECEIPTS_FOR_LIVE_DEPARTMENTS: bool = False

    RECONCILIATION_PENDING_WORKING_DAYS: int = Field(default=3, ge=0, le=30)
    RECONCILIATION_TIMING_WINDOW_MINUTES: int = Field(default=30, ge=0, le=720)


def load_settings() -> Settings:
    try:
        return Settings.model_validate(dict(os.environ))
    except ValidationError as error:
        names = ", ".join(".".join(str(part) for part in e["loc"]) for e in error.errors())
        raise SettingsError(f"invalid or missing settings: {names}") from error


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()
