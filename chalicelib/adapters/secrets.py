"""Bank signing secrets from AWS Secrets Manager, one secret per bank.

Each secret holds JSON `{"current": "...", "previous": "..."}`; `previous` is present only
while a rotation is under way. Values are cached briefly so a warm function does not call
Secrets Manager on every callback, yet a rotation is seen within the cache period.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.domain.bank_signature import BankSecrets
from chalicelib.domain.errors import NotFoundError, TransientError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

DEFAULT_TTL_SECONDS = 60.0


class SecretsManagerBankSecrets:
    def __init__(
        self,
        client: SecretsManagerClient,
        name_template: str,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`name_template` names a bank's secret, e.g. `coissuer/hanoi/bank/{bank}`."""
        self._client = client
        self._name_template = name_template
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, BankSecrets]] = {}

    def bank_secrets(self, bank: str) -> BankSecrets:
        cached = self._cache.get(bank)
        if cached is not None and self._monotonic() - cached[0] < self._ttl:
            return cached[1]
        secrets = self._fetch(bank)
        self._cache[bank] = (self._monotonic(), secrets)
        return secrets

    def _fetch(self, bank: str) -> BankSecrets:
        name = self._name_template.format(bank=bank)
        try:
            response = self._client.get_secret_value(SecretId=name)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "ResourceNotFoundException":
                raise NotFoundError("No callback secret for this bank", bank=bank) from error
            raise TransientError("The bank secret could not be read", bank=bank) from error
        return _parsed(response, bank)


def _parsed(response: dict[str, Any], bank: str) -> BankSecrets:
    try:
        document = json.loads(response["SecretString"])
        return BankSecrets(current=document["current"], previous=document.get("previous") or None)
    except (KeyError, TypeError, ValueError):
        # The message names the bank only: the secret's text must never reach a log.
        raise TransientError("The bank secret is not valid JSON", bank=bank) from None
