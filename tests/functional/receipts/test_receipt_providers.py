from __future__ import annotations

import json

import boto3

from chalicelib.adapters.builtin_receipt_issuer import BuiltInReceiptIssuer
from chalicelib.adapters.receipt_providers import receipt_provider_for
from chalicelib.adapters.vnpt_receipts import VnptReceiptProvider
from chalicelib.domain.receipts import ReceiptProviderSetup, VnptAccount
from tests.fakes.pdf_signer import PyHankoTestSigner
from tests.functional.receipts.conftest import BUCKET, REGION

ON_VNPT = ReceiptProviderSetup(
    kind="vnpt",
    vnpt=VnptAccount(
        url="https://daklak-ws.example.vn/PublishService.asmx",
        account="daklak_admin",
        username="daklak_ws",
        secret_name="coissuer/test/vnpt/DAKLAK",
    ),
)


def test_a_live_department_on_vnpt_gets_vnpt_and_a_sandbox_one_the_builtin_issuer(
    s3: object, signer: PyHankoTestSigner
) -> None:
    # given a department set up on VNPT, with its passwords in Secrets Manager
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.create_secret(
        Name="coissuer/test/vnpt/DAKLAK",
        SecretString=json.dumps({"account_password": "a", "password": "b"}),
    )
    ports = {"s3": s3, "bucket": BUCKET, "signer": lambda: signer, "secrets": secrets}

    # when its provider is chosen live and in sandbox
    live = receipt_provider_for(ON_VNPT, sandbox=False, **ports)  # type: ignore[arg-type]
    sandbox = receipt_provider_for(ON_VNPT, sandbox=True, **ports)  # type: ignore[arg-type]

    # then only the live one issues legal receipts
    assert isinstance(live, VnptReceiptProvider) and live.issues_legal_receipts
    assert isinstance(sandbox, BuiltInReceiptIssuer) and not sandbox.issues_legal_receipts
