"""`POST /bank/{bank}/callbacks`: a bank reports an event on a department's fee account.

The contract for banks is docs/bank-integration.md. The raw body goes to the service
untouched: the signature covers its exact bytes.
"""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict

from chalicelib.domain.identity import BANK
from chalicelib.handlers.api.routing import Call, Reply, endpoint
from chalicelib.wiring import container

blueprint = Blueprint(__name__)


class CallbackAccepted(BaseModel):
    model_config = ConfigDict(defer_build=True)
    status: str
    bank: str
    txn_id: str
    outcome: str


@endpoint(
    blueprint,
    "/bank/{bank}/callbacks",
    "POST",
    access=BANK,
    summary="A bank reports a credit, reversal or failed transfer (HMAC-signed)",
    response=CallbackAccepted,
    tags=("bank",),
)
def bank_callback(call: Call, bank: str) -> Reply:
    result = container().payments.receive_bank_callback(bank, call.raw_body, call.headers, call.now)
    return Reply(CallbackAccepted(**result.body), status=result.status_code)
