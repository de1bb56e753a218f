"""Driving the exporter's API over HTTP on the local stack, as a client would."""

from __future__ import annotations

import json
import zlib
from datetime import date
from typing import Any

from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.forms import catalogue
from chalicelib.wiring import container
from tests.functional.dossier_stack import DynamoDBCallCounter
from tests.stack import Stack, json_body
from tools.samples import (
    attachment_kinds,
    department_name,
    draft_body,
    load_sample,
    registration,
    simple_pdf,
)

ALL_FORMS = [form.code for form in catalogue().forms]
DEPARTMENT_CODES = {
    "Ho Chi Minh City Department of Industry and Trade": "HO-CHI-MINH",
    "Dak Lak Department of Industry and Trade": "DAK-LAK",
    "Hai Phong Department of Industry and Trade": "HAI-PHONG",
    "Ca Mau Department of Industry and Trade": "CA-MAU",
}
PDF = simple_pdf("commercial invoice")


def seed_department(
    code: str,
    state: str = "live",
    forms: list[str] | None = None,
    fee_collection_live_from: str | None = None,
    account_number: str | None = None,
) -> None:
    """Store (or overwrite) a department as the registry does, with a fee account."""
    from chalicelib.adapters.department_store import profile_item
    from chalicelib.domain.departments import Department, DepartmentState, FeeAccount
    from chalicelib.domain.registry import MINISTRY, registry_unit

    try:
        department = registry_unit(code).as_department()
    except NotFoundError:
        department = MINISTRY.as_department().model_copy(update={"code": code})
    account = FeeAccount(bank_bin="970407", account_name="SO CONG THUONG",
                         account_number=account_number
                         or f"1903{zlib.crc32(code.encode()):010d}")  # fmt: skip
    live_from = date.fromisoformat(fee_collection_live_from) if fee_collection_live_from else None
    department = Department.model_validate({
        **department.model_dump(), "state": DepartmentState(state), "fee_account": account,
        "allowed_forms": tuple(forms if forms is not None else ALL_FORMS),
        "fee_collection_from": live_from,
    })  # fmt: skip
    container().table.put_item(Item=profile_item(department))


def department_of(sample: dict[str, Any]) -> str:
    return DEPARTMENT_CODES[department_name(sample)]


def dynamodb_calls() -> DynamoDBCallCounter:
    """A counter on the container's table client, which every route uses."""
    return DynamoDBCallCounter(container().table.meta.client)


class ExporterClient:
    """One trader's exporter calling the API with a real token."""

    def __init__(self, stack: Stack, tax_code: str, test_trader: bool = False) -> None:
        self.stack = stack
        self.tax_code = tax_code
        self.headers = stack.auth("exporter", tax_code=tax_code, test_trader=test_trader)

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        payload = (
            body if isinstance(body, bytes | str) else b"" if body is None else json.dumps(body)
        )
        send = getattr(self.stack.http, method.lower())
        return send(path, headers={**self.headers, **(headers or {})}, body=payload)

    def register(self, sample: dict[str, Any], test_trader: bool = False) -> Any:
        return self.call(
            "POST", "/traders", registration(sample, test_trader).model_dump(mode="json")
        )

    def create(self, body: dict[str, Any], key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key} if key else None
        return self.call("POST", "/dossiers", body, headers)

    def attach(
        self,
        dossier_id: str,
        kind: str,
        content: bytes = PDF,
        content_type: str = "application/pdf",
    ) -> Any:
        request = {
            "kind": kind,
            "filename": f"{kind}.pdf",
            "content_type": content_type,
            "size": len(content),
        }
        response = self.call("POST", f"/dossiers/{dossier_id}/attachments", request)
        if response.status_code == 201:
            key = json_body(response)["attachment"]["key"]
            bucket = container().settings.DOCUMENTS_BUCKET
            self.stack.client("s3").put_object(Bucket=bucket, Key=key, Body=content)
        return response

    def submit(self, dossier_id: str) -> Any:
        return self.call("POST", f"/dossiers/{dossier_id}/submit")

    def get(self, dossier_id: str) -> Any:
        return self.call("GET", f"/dossiers/{dossier_id}")


def ready_draft(
    stack: Stack, name: str = "form-d-coffee-th.json", kinds: list[str] | None = None
) -> tuple[ExporterClient, str]:
    """A registered trader with a draft of the sample, its documents uploaded."""
    sample = load_sample(name)
    exporter = ExporterClient(stack, sample["exporter"]["tax_code"])
    assert exporter.register(sample).status_code == 201
    response = exporter.create(draft_body(sample, department_of(sample)))
    assert response.status_code == 201, response.body
    dossier_id = json_body(response)["id"]
    for kind in kinds if kinds is not None else attachment_kinds(sample):
        assert exporter.attach(dossier_id, kind).status_code == 201
    return exporter, dossier_id
