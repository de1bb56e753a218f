"""Chooses a department's receipt provider from its setup."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.adapters.builtin_receipt_issuer import BuiltInReceiptIssuer
from chalicelib.adapters.vnpt_receipts import VnptReceiptProvider, load_vnpt_credentials
from chalicelib.domain.errors import ReceiptProviderError
from chalicelib.domain.receipt_provider import PdfSigner, ReceiptProvider
from chalicelib.domain.receipts import ReceiptProviderSetup

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient


class ReceiptProviderNotConfiguredError(ReceiptProviderError):
    """A live department has no legal receipt provider set up; its receipts wait for one."""


def receipt_provider_for(
    setup: ReceiptProviderSetup,
    *,
    sandbox: bool,
    s3: S3Client,
    bucket: str,
    signer: Callable[[], PdfSigner],
    secrets: SecretsManagerClient,
    test_receipts_for_live: bool = False,
) -> ReceiptProvider:
    """VNPT where set up; the built-in (test receipt) issuer for sandbox departments, and for
    live ones only where the stage allows it (the local stack)."""
    if sandbox or (test_receipts_for_live and setup.kind == "builtin"):
        return BuiltInReceiptIssuer(s3, bucket, signer())
    if setup.kind != "vnpt" or setup.vnpt is None:
        raise ReceiptProviderNotConfiguredError(
            "The live department has no receipt provider set up; no legal receipt can be issued"
        )
    return VnptReceiptProvider(setup.vnpt, load_vnpt_credentials(secrets, setup.vnpt.secret_name))
