"""A small world on the local stack for the security tests: one trader, one department, one
dossier with its payment order, one bank with its secret, and every kind of caller."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dossier_store import DossierStore
from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from chalicelib.domain.departments import Department, DepartmentKind, FeeAccount
from chalicelib.domain.dossiers import Dossier, Status
from chalicelib.wiring import container
from tests.stack import Stack

if TYPE_CHECKING:
    from tools.fuzz import FuzzWorld

TRADER = "6002837411"
OTHER_TRADER = "0100000001"
DEPARTMENT = "DAK-LAK"
OTHER_DEPARTMENT = "HA-NOI"
BANK = "vietcombank"
BANK_SECRET = "security-suite-bank-secret"
WRONG_SECRET = "not-the-bank-secret"
ACCOUNT = FeeAccount(
    bank_bin="970436", account_number="19030000000001", account_name="SO CONG THUONG DAK LAK"
)

_HEADERS: dict[str, dict[str, str]] = {}

CALLERS = (
    "anonymous",
    "exporter_other",
    "exporter",
    "specialist_other",
    "leader_other",
    "specialist",
    "leader",
    "operations",
    "auditor",
    "bank_wrong",
)


def department(code: str = DEPARTMENT) -> Department:
    return Department(
        code=code,
        kind=DepartmentKind.PROVINCE,
        name_vi=f"Sở Công Thương {code}",
        name_en=f"{code} Department of Industry and Trade",
        issuer_code="DL",
        fee_account=ACCOUNT,
        fee_collection_from=date(2026, 1, 1),
    )


@dataclass
class World:
    stack: Stack
    dossier_id: str
    payment_reference: str

    def headers(self, caller: str) -> dict[str, str]:
        """The headers each caller sends; the bank signs an empty body with a wrong secret."""
        roles = {
            "exporter_other": ("exporter", {"tax_code": OTHER_TRADER}),
            "exporter": ("exporter", {"tax_code": TRADER}),
            "specialist_other": ("specialist", {"department": OTHER_DEPARTMENT}),
            "leader_other": ("leader", {"department": OTHER_DEPARTMENT}),
            "specialist": ("specialist", {"department": DEPARTMENT}),
            "leader": ("leader", {"department": DEPARTMENT}),
            "operations": ("operations", {}),
            "auditor": ("auditor", {}),
        }
        if caller == "anonymous":
            return {"Content-Type": "application/json"}
        if caller == "bank_wrong":
            return self.bank_headers(b"{}", WRONG_SECRET)
        if caller not in _HEADERS:
            # Signing a token takes tens of milliseconds; one per caller serves the session.
            role, claims = roles[caller]
            _HEADERS[caller] = self.stack.auth(role, **claims)
        return dict(_HEADERS[caller])

    def bank_headers(self, body: bytes, secret: str = BANK_SECRET, skew: int = 0) -> dict[str, str]:
        timestamp = str(int(self.stack.clock.now.timestamp()) + skew)
        return {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }


def add_bank_secret(stack: Stack, bank: str = BANK, secret: str = BANK_SECRET) -> None:
    name = container().settings.BANK_SECRET_PREFIX + bank
    stack.client("secretsmanager").create_secret(
        Name=name, SecretString=json.dumps({"current": secret})
    )


def put_dossier(stack: Stack, status: Status, **fields: Any) -> str:
    """A dossier of TRADER in DEPARTMENT, written as the store writes it."""
    now = stack.clock.now
    values: dict[str, Any] = {
        "id": f"D{uuid.uuid4().hex[:12].upper()}",
        "trader_tax_code": TRADER,
        "form": "D",
        "status": status,
        "department_code": DEPARTMENT,
        "created_at": now,
        "updated_at": now,
        "submitted_at": now,
    }
    dossier = Dossier(**(values | fields))
    dossier_id = dossier.id
    store: DossierStore = container().dossier_store
    store._table.put_item(Item=store._meta_item(dossier))
    return dossier_id


def build_world(stack: Stack) -> World:
    add_bank_secret(stack)
    dossier_id = put_dossier(stack, Status.AWAITING_PAYMENT)
    order = container().payments.create_payment_order(
        dossier_id=dossier_id,
        trader_tax_code=TRADER,
        department=department(),
        fee_kind="issuance",
        submitted_at=stack.clock.now,
    )
    assert order is not None
    return World(stack, dossier_id, order.payment_reference)


STATEMENTS = "coissuer-local-statements"


@contextmanager
def statement_notifications_held(stack: Stack) -> Iterator[None]:
    """The statements bucket without its S3 notification, so a test delivers files itself."""
    s3 = stack.client("s3")
    notifications = s3.get_bucket_notification_configuration(Bucket=STATEMENTS)
    notifications.pop("ResponseMetadata", None)
    s3.put_bucket_notification_configuration(Bucket=STATEMENTS, NotificationConfiguration={})
    try:
        yield
    finally:
        s3.put_bucket_notification_configuration(
            Bucket=STATEMENTS, NotificationConfiguration=notifications
        )


def register_department(code: str, account: str = "19030000000001") -> None:
    """A live department profile with a fee account, as the department registry stores it."""
    from tests.functional.exporter_api import seed_department

    seed_department(code, account_number=account)


class RecordedHttp:
    """The stack's HTTP client, keeping every exchange: the bearer tokens sent, and the
    headers and body of each answer."""

    def __init__(self, http: Any) -> None:
        self._http = http
        self.answers: list[str] = []
        self.bearer_tokens: list[str] = []

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                body: bytes | str = b"") -> Any:  # fmt: skip
        authorization = (headers or {}).get("Authorization", "")
        if authorization.startswith("Bearer "):
            self.bearer_tokens.append(authorization.removeprefix("Bearer "))
        response = self._http.request(method, path, headers=headers or {}, body=body)
        self.answers.append(json.dumps(response.headers) + response.body.decode("utf-8", "replace"))
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


@dataclass
class Lifecycle:
    """A dossier of TRADER in DEPARTMENT driven through the HTTP API while the real state
    machine runs its steps; `task_tokens` are the tokens the workflow handed out."""

    stack: Stack
    dossier_id: str = ""
    task_tokens: list[str] = field(default_factory=list)

    def submit_and_pay(self, txn_id: str = "FT-SECURITY-1") -> str:
        from tests.functional.exporter_api import ready_draft
        from tests.functional.lifecycle_support import live_department, pay, wait_for_status

        live_department(DEPARTMENT)
        exporter, self.dossier_id = ready_draft(self.stack)
        assert exporter.submit(self.dossier_id).status_code == 200
        wait_for_status(self.dossier_id, Status.AWAITING_PAYMENT)
        self.task_tokens.append(_payment_task_token(self.dossier_id))
        assert pay(self.stack, self.dossier_id, txn_id).status_code == 200
        wait_for_status(self.dossier_id, Status.PAID, Status.UNDER_REVIEW)
        return self.dossier_id

    def approve(self) -> None:
        from tests.functional.lifecycle_support import Staff, wait_for_status, wait_for_token

        staff = Staff(self.stack, DEPARTMENT)
        self.task_tokens.append(wait_for_token(self.dossier_id, "review"))
        assert staff.claim(self.dossier_id).status_code == 200
        assert staff.decide(self.dossier_id, "approve").status_code == 200
        wait_for_status(self.dossier_id, Status.AWAITING_SIGNATURE, Status.NEEDS_ATTENTION)

    def approve_signing(self) -> Dossier:
        from tests.functional.lifecycle_support import Staff, wait_for_status, wait_for_token

        self.task_tokens.append(wait_for_token(self.dossier_id, "signature"))
        assert Staff(self.stack, DEPARTMENT).approve_signing(self.dossier_id).status_code == 200
        return wait_for_status(self.dossier_id, Status.ISSUED, Status.NEEDS_ATTENTION)

    def issue(self) -> Dossier:
        self.submit_and_pay()
        self.approve()
        return self.approve_signing()


def _payment_task_token(dossier_id: str, timeout: float = 30.0) -> str:
    # The await-payment step keeps its token on the payment order, not with the staff steps'.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = container().payments.store.order_for_dossier(dossier_id)
        if order is not None and order.task_token:
            return order.task_token
        time.sleep(0.05)
    raise AssertionError(f"dossier {dossier_id} never waited for its payment")


def fuzz_world(world: World) -> FuzzWorld:
    """The fuzzer's view of the world: its ids as path parameters, its bank's signature, and
    the known-good requests a generator would rarely write (a registration, a paying credit)."""
    from tools.fuzz import FuzzWorld
    from tools.samples import load_sample, registration

    trader = registration(load_sample("form-d-coffee-th.json")).model_dump(mode="json")
    credit = {
        "txn_id": "FT-FUZZ-PAYS",
        "kind": "credit",
        "account": ACCOUNT.account_number,
        "amount": 60_000,
        "currency": "VND",
        "note": world.payment_reference,
        "booked_at": "2026-12-03T09:10:00+07:00",
    }
    return FuzzWorld(
        path_values={
            "dossier_id": world.dossier_id,
            "tax_code": TRADER,
            "bank": BANK,
            "code": DEPARTMENT,
            "department": DEPARTMENT,
            "gate": "legal_basis",
            "day": "2026-12-03",
        },
        sign_callback=lambda body: {
            name: value
            for name, value in world.bank_headers(body).items()
            if name != "Content-Type"
        },
        explicit_bodies={
            ("POST", "/traders"): [trader],
            ("POST", "/bank/{bank}/callbacks"): [credit],
        },
    )
