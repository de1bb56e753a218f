"""VNPT's receipt web service (SOAP), one account per department.

Each receipt is filed under a unique key (fkey) derived from its form, series and number, so a
repeated call can be recognised. The service answers `OK:...` or `ERR:n`; the codes below are
the ones the department's contract lists and are mapped to our errors:

| code | meaning | our error |
| --- | --- | --- |
| ERR:1, ERR:7 | account or user credentials refused | ReceiptProviderError |
| ERR:2 | no receipt under that key | lookup: None; else ReceiptProviderError |
| ERR:3, ERR:6, ERR:10, ERR:20 | data, numbers, batch size, series refused | ReceiptProviderError |
| ERR:5 | service busy or failed internally | TransientError |
| ERR:9 | receipt already cancelled or replaced | cancel: done; else ReceiptProviderError |
| ERR:13 | key already published | the receipt is looked up and taken as published |

NOTE: the service's current specification must be confirmed with each department; the WSDL in
`vnpt_wsdl/` describes the operations this adapter calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET  # builds only; parsing goes through defusedxml

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, SecretStr

from chalicelib.adapters.receipt_xml import receipt_element
from chalicelib.domain.errors import ReceiptProviderError, TransientError
from chalicelib.domain.receipt_provider import PublishedReceipt
from chalicelib.domain.receipts import Receipt, VnptAccount

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

logger = Logger(service="receipts")

PROVIDER = "vnpt"
WSDL = Path(__file__).parent / "vnpt_wsdl" / "PublishService.wsdl"
BINDING = "{http://tempuri.org/}PublishServiceSoap"

TRANSIENT_CODES = {"ERR:5"}
DUPLICATE_KEY = "ERR:13"
NOT_FOUND = "ERR:2"
ALREADY_VOID = "ERR:9"
_MEANINGS = {
    "ERR:1": "the account credentials were refused",
    "ERR:2": "no receipt is filed under that key",
    "ERR:3": "the receipt data were refused",
    "ERR:5": "the service is busy",
    "ERR:6": "the series has no numbers left at the provider",
    "ERR:7": "the user credentials were refused",
    "ERR:9": "the receipt is already cancelled or replaced",
    "ERR:10": "the batch is too large",
    "ERR:13": "a receipt is already published under that key",
    "ERR:20": "the form number or series is not registered",
}


class VnptCredentials(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    account_password: SecretStr
    password: SecretStr


def load_vnpt_credentials(secrets: SecretsManagerClient, secret_name: str) -> VnptCredentials:
    """Reads `{"account_password": ..., "password": ...}` from Secrets Manager."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        secret = secrets.get_secret_value(SecretId=secret_name)["SecretString"]
    except (ClientError, BotoCoreError) as error:
        raise TransientError("The receipt provider's credentials could not be read") from error
    return VnptCredentials.model_validate(json.loads(secret))


class VnptReceiptProvider:
    """Publishes, adjusts, replaces and cancels receipts at VNPT for one department."""

    name = PROVIDER
    issues_legal_receipts = True

    def __init__(self, account: VnptAccount, credentials: VnptCredentials) -> None:
        self._account = account
        self._credentials = credentials
        self._service: Any = None

    def publish(self, receipt: Receipt) -> PublishedReceipt:
        return self._file(receipt, "ImportAndPublishInv", {})

    def adjust(self, adjustment: Receipt) -> PublishedReceipt:
        return self._file(adjustment, "AdjustInv", {"fkey": _original_key(adjustment)})

    def replace(self, replacement: Receipt) -> PublishedReceipt:
        return self._file(replacement, "ReplaceInv", {"fkey": _original_key(replacement)})

    def cancel(self, receipt: Receipt, reason: str) -> None:
        answer = self._call("CancelInv", fkey=receipt.key.provider_key)
        if answer == ALREADY_VOID:
            return
        _raise_unless_ok(answer)
        logger.info("receipt cancelled at provider", receipt=receipt.key.provider_key)

    def lookup(self, provider_key: str) -> PublishedReceipt | None:
        answer = self._call("GetInvByFkey", fkey=provider_key)
        if answer == NOT_FOUND:
            return None
        _raise_unless_ok(answer)
        return _published(provider_key, answer)

    def _file(self, receipt: Receipt, operation: str, extra: dict[str, str]) -> PublishedReceipt:
        """Sends one receipt; after a timeout or a duplicate key, asks what the service holds."""
        fkey = receipt.key.provider_key
        request = {
            "xmlInvData": _batch_of_one(receipt),
            "pattern": receipt.key.form_number,
            "serial": receipt.key.series,
            "convert": 0,
            **extra,
        }
        try:
            answer = self._call(operation, **request)
        except TransientError:
            logger.warning("receipt provider timed out, looking the key up", receipt=fkey)
            found = self._lookup_after_fault(fkey)
            if found is None:
                raise
            return found

        if answer == DUPLICATE_KEY:
            logger.info("receipt already at provider", receipt=fkey)
            found = self.lookup(fkey)
            if found is None:
                raise ReceiptProviderError("The provider reports the key but cannot find it")
            return found
        _raise_unless_ok(answer)
        logger.info("receipt published at provider", receipt=fkey)
        return _published(fkey, answer)

    def _lookup_after_fault(self, fkey: str) -> PublishedReceipt | None:
        try:
            return self.lookup(fkey)
        except TransientError:
            return None

    def _call(self, operation: str, **request: Any) -> str:
        import requests
        from zeep.exceptions import Fault, TransportError

        credentials = {
            "Account": self._account.account,
            "ACpass": self._credentials.account_password.get_secret_value(),
            "username": self._account.username,
            "password": self._credentials.password.get_secret_value(),
        }
        try:
            return str(getattr(self._soap(), operation)(**credentials, **request))
        except (requests.Timeout, requests.ConnectionError) as error:
            raise TransientError("The receipt provider did not answer in time") from error
        except TransportError as error:
            if error.status_code >= 500 or error.status_code == 429:
                raise TransientError("The receipt provider is unavailable") from error
            raise ReceiptProviderError("The receipt provider refused the call") from error
        except Fault as error:
            raise TransientError("The receipt provider failed") from error

    def _soap(self) -> Any:
        if self._service is None:
            self._service = _service_for(self._account)
        return self._service


def _service_for(account: VnptAccount) -> Any:
    import logging

    import requests
    from zeep import Client, Settings
    from zeep.transports import Transport

    transport = Transport(
        session=requests.Session(),
        timeout=account.timeout_seconds,
        operation_timeout=account.timeout_seconds,
    )
    # zeep logs whole envelopes at DEBUG, and ours carry the account's passwords.
    logging.getLogger("zeep.transports").setLevel(logging.INFO)
    client = Client(str(WSDL), transport=transport, settings=Settings(strict=True))
    return client.create_service(BINDING, account.url)


def _batch_of_one(receipt: Receipt) -> str:
    batch = ET.Element("Invoices")
    entry = ET.SubElement(batch, "Inv")
    ET.SubElement(entry, "key").text = receipt.key.provider_key
    entry.append(receipt_element(receipt))
    return ET.tostring(batch, encoding="unicode")


def _original_key(receipt: Receipt) -> str:
    if receipt.original is None:
        raise ReceiptProviderError("A correction must name its original receipt")
    return receipt.original.provider_key


def _published(fkey: str, answer: str) -> PublishedReceipt:
    return PublishedReceipt(
        provider_key=fkey, provider=PROVIDER, signature_reference=f"{PROVIDER}:{answer[3:]}"
    )


def _raise_unless_ok(answer: str) -> None:
    if answer.startswith("OK"):
        return
    code = answer.split(";")[0].strip()
    meaning = _MEANINGS.get(code, "the provider answered an unknown code")
    if code in TRANSIENT_CODES:
        raise TransientError(f"Receipt provider: {meaning}", code=code)
    raise ReceiptProviderError(f"Receipt provider: {meaning}", code=code)
