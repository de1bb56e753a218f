"""Chooses a department's receipt provider from its setup."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.adapters.builtin_receipt_issuer import BuiltInReceiptIssuer
from chalicelib.adapters.vnpt_receipts import VnptReceiptProvider, load_vnpt_credentials
from chalicelib.domain.receipt_provider import PdfSigner, ReceiptProvider
from chalicelib.domain.receipts import ReceiptProviderSetup

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient


def receipt_provider_for(
    setup: ReceiptProviderSetup,
    *,
    sandbox: bool,
    s3: S3Client,
    bucket: str,
    signer: Callable[[], PdfSigner],
    secrets: SecretsManagerClient,
) -> ReceiptProvider:
    """The built-in issuer for sandbox departments and the local stack; VNPT where set up."""
    if sandbox or setup.kind == "builtin" or setup.vnpt is None:
        return BuiltInReceiptIssuer(s3, bucket, signer())
    return VnptReceiptProvider(setup.vnpt, load_vnpt_credentials(secrets, setup.vnpt.secret_name))
