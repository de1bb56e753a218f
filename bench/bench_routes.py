"""Latency (median, p95) and DynamoDB calls of each API route, in process on moto.

Run: .venv/bin/python -m bench.bench_routes [--runs 30]

Requests go through the app (routing, token verification, validation, services, adapters)
with Chalice's test client; AWS is moto in process, so the figures are this code's own cost
plus moto's, not network or DynamoDB latency. DynamoDB calls are counted per request with a
botocore `before-call.dynamodb` hook on the app's table client (calls made by workflow tasks
that a request starts run in other threads and are not counted). Routes that need a dossier in
a state the run cannot reach are listed as not measured, with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

from chalicelib.domain.bank_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from chalicelib.domain.traders import tax_code_check_digit
from tests.functional.dossier_stack import DynamoDBCallCounter
from tests.stack import Stack, prepare_environment, running_stack
from tools.demo import LIVE, LIVE_GATES, department_details
from tools.samples import attachment_kinds, draft_body, load_sample, registration, simple_pdf

Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body
SAMPLE = "form-d-coffee-th.json"
ACCOUNT = "19036688001011"


@dataclass
class Measured:
    method: str
    path: str
    note: str
    millis: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    operations: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)


class Bench:
    def __init__(self, stack: Stack, runs: int) -> None:
        from chalicelib.wiring import container

        self.stack = stack
        self.runs = runs
        self.counter = DynamoDBCallCounter(container().table.meta.client)
        self.results: list[Measured] = []
        self.sample = load_sample(SAMPLE)
        self.tax_code = self.sample["exporter"]["tax_code"]
        self.ops = stack.auth("operations", subject="ops-bench")
        self.exporter = stack.auth("exporter", tax_code=self.tax_code)

    def measure(
        self, method: str, template: str, make: Callable[[], Request], note: str = ""
    ) -> None:
        result = Measured(method, template, note)
        for _ in range(self.runs):
            verb, path, headers, body = make()
            send = getattr(self.stack.http, verb.lower())
            self.counter.reset()
            started = time.perf_counter()
            response = send(path, headers=headers, body=body)
            result.millis.append((time.perf_counter() - started) * 1000)
            result.calls.append(self.counter.total)
            result.operations.update(self.counter.calls)
            result.statuses[response.status_code] += 1
        self.results.append(result)

    def call(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        payload = b"" if body is None else json.dumps(body).encode()
        response = getattr(self.stack.http, method.lower())(path, headers=headers, body=payload)
        if response.status_code >= 400:
            raise RuntimeError(f"setup {method} {path}: {response.status_code} {response.body!r}")
        return json.loads(response.body) if response.body else None

    # -- setup helpers (not timed)

    def onboard(self) -> None:
        code = LIVE
        details = department_details(code, ("B", "D", "E", "VJ"), ACCOUNT)
        self.call("PUT", f"/operations/departments/{code}", self.ops, details)
        evidence = {"document_number": "001/QD", "document_date": "2026-11-02"}
        for gate in LIVE_GATES:
            self.call("PUT", f"/operations/departments/{code}/gates/{gate}", self.ops, evidence)
        for state in ("sandbox", "live"):
            self.call("POST", f"/operations/departments/{code}/moves", self.ops, {"state": state})
        self.call("POST", "/traders", self.exporter, _json(registration(self.sample)))

    def draft(self, uploaded: bool = False) -> str:
        dossier = self.call("POST", "/dossiers", self.exporter, draft_body(self.sample, LIVE))
        if uploaded:
            for kind in attachment_kinds(self.sample):
                self.upload(dossier["id"], kind)
        return str(dossier["id"])

    def upload(self, dossier_id: str, kind: str) -> None:
        from chalicelib.wiring import container

        content = simple_pdf("bench")
        request = {"kind": kind, "filename": f"{kind}.pdf", "content_type": "application/pdf",
                   "size": len(content)}  # fmt: skip
        form = self.call("POST", f"/dossiers/{dossier_id}/attachments", self.exporter, request)
        bucket = container().settings.DOCUMENTS_BUCKET
        key = form["attachment"]["key"]
        self.stack.client("s3").put_object(
            Bucket=bucket, Key=key, Body=content, ContentType="application/pdf"
        )

    def payment_order(self, dossier_id: str) -> str:
        from chalicelib.wiring import container

        deps = container()
        order = deps.payments.create_payment_order(
            dossier_id, self.tax_code, deps.departments.get(LIVE), "issuance", self.stack.clock()
        )
        assert order is not None
        return str(order.payment_reference)

    def callback(self, note: str) -> Request:
        body = json.dumps(
            {
                "txn_id": f"FT{uuid.uuid4().hex[:12]}",
                "kind": "credit",
                "account": ACCOUNT,
                "amount": 60000,
                "currency": "VND",
                "note": note,
                "booked_at": self.stack.clock().isoformat(),
            }
        ).encode()
        timestamp = str(int(self.stack.clock().timestamp()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(self.bank_secret, timestamp, body)}  # fmt: skip
        return "POST", "/bank/techcombank/callbacks", headers, body

    @property
    def bank_secret(self) -> str:
        from chalicelib.wiring import container

        return str(container().payments.secrets.bank_secrets("techcombank").current)


def _json(model: Any) -> Any:
    return model.model_dump(mode="json")


def _body(value: Any) -> bytes:
    return json.dumps(value).encode()


def fresh_tax_code(counter: list[int]) -> str:
    while True:
        counter[0] += 1
        first_nine = f"{counter[0]:09d}"
        digit = tax_code_check_digit(first_nine)
        if digit is not None:
            return f"{first_nine}{digit}"


def run_all(bench: Bench) -> list[tuple[str, str, str]]:
    """Measures every route it can; returns the routes not measured with the reason."""
    ops, exporter, m = bench.ops, bench.exporter, bench.measure
    department = f"/operations/departments/{LIVE}"
    bench.onboard()
    m("GET", "/health", lambda: ("GET", "/health", {}, b""))
    m("GET", "/directory", lambda: ("GET", "/directory", {}, b""))
    m("GET", "/openapi.json", lambda: ("GET", "/openapi.json", {}, b""))
    m("GET", "/docs", lambda: ("GET", "/docs", {}, b""))
    m("GET", "/operations/departments", lambda: ("GET", "/operations/departments", ops, b""))
    m("POST", "/operations/registry/seed",
      lambda: ("POST", "/operations/registry/seed", ops, b""))  # fmt: skip
    details = _body(department_details(LIVE, ("B", "D", "E", "VJ"), ACCOUNT))
    m("PUT", "/operations/departments/{code}", lambda: ("PUT", department, ops, details))
    m("GET", "/operations/departments/{code}", lambda: ("GET", department, ops, b""))
    evidence = _body({"document_number": "002/QD", "document_date": "2026-11-03"})
    m("PUT", "/operations/departments/{code}/gates/{gate}",
      lambda: ("PUT", f"{department}/gates/legal_assignment", ops, evidence))  # fmt: skip
    states = iter(["suspended", "live"] * bench.runs)
    m("POST", "/operations/departments/{code}/moves",
      lambda: ("POST", f"{department}/moves", ops,
               _body({"state": next(states), "reason": "bench"})),
      "live and suspended in turn")  # fmt: skip
    if bench.runs % 2:
        bench.call("POST", f"{department}/moves", ops, {"state": "live"})
    m("GET", "/operations/departments/{code}/history",
      lambda: ("GET", f"{department}/history", ops, b""))  # fmt: skip

    counter = [400000000]

    def new_trader() -> Request:
        tax_code = fresh_tax_code(counter)
        body = _json(registration(bench.sample)) | {"tax_code": tax_code}
        return "POST", "/traders", bench.stack.auth("exporter", tax_code=tax_code), _body(body)

    m("POST", "/traders", new_trader, "a new trader each time")
    trader = f"/traders/{bench.tax_code}"
    m("GET", "/traders/{tax_code}", lambda: ("GET", trader, exporter, b""))
    details_body = _json(registration(bench.sample))
    details_body.pop("tax_code")
    details_body.pop("test_trader", None)
    m("PUT", "/traders/{tax_code}", lambda: ("PUT", trader, exporter, _body(details_body)))
    draft = _body(draft_body(bench.sample, LIVE))
    m("POST", "/dossiers", lambda: ("POST", "/dossiers", exporter, draft))
    m("GET", "/dossiers", lambda: ("GET", "/dossiers?limit=20", exporter, b""), "one page of 20")
    one = bench.draft()
    m("GET", "/dossiers/{dossier_id}", lambda: ("GET", f"/dossiers/{one}", exporter, b""))
    consignee = _body({"consignee": bench.sample["consignee"]})
    m("PATCH", "/dossiers/{dossier_id}",
      lambda: ("PATCH", f"/dossiers/{bench.draft()}", exporter, consignee))  # fmt: skip
    lines = _body({"lines": draft_body(bench.sample, LIVE)["lines"]})
    m("POST", "/dossiers/{dossier_id}/lines",
      lambda: ("POST", f"/dossiers/{bench.draft()}/lines", exporter, lines))  # fmt: skip
    csv_text = _goods_csv(bench.sample).encode()
    csv_headers = {**exporter, "Content-Type": "text/csv"}
    m("POST", "/dossiers/{dossier_id}/lines/csv",
      lambda: ("POST", f"/dossiers/{bench.draft()}/lines/csv", csv_headers, csv_text))  # fmt: skip
    m("POST", "/dossiers/{dossier_id}/clone",
      lambda: ("POST", f"/dossiers/{one}/clone", exporter, b""))  # fmt: skip
    upload = _body({"kind": "commercial_invoice", "filename": "invoice.pdf",
                    "content_type": "application/pdf", "size": 2048})  # fmt: skip
    m("POST", "/dossiers/{dossier_id}/attachments",
      lambda: ("POST", f"/dossiers/{one}/attachments", exporter, upload))  # fmt: skip
    m("POST", "/dossiers/{dossier_id}/submit",
      lambda: ("POST", f"/dossiers/{bench.draft(uploaded=True)}/submit", exporter, b""),
      "documents uploaded; starts the workflow")  # fmt: skip
    withdraw = _body({"reason": "bench"})
    m("POST", "/dossiers/{dossier_id}/withdraw",
      lambda: ("POST", f"/dossiers/{bench.draft()}/withdraw", exporter, withdraw))  # fmt: skip

    paid = bench.draft()
    reference = bench.payment_order(paid)
    m("GET", "/dossiers/{dossier_id}/payment",
      lambda: ("GET", f"/dossiers/{paid}/payment", exporter, b""))  # fmt: skip

    def credit() -> Request:
        return bench.callback(f"CT DEN {bench.payment_order(bench.draft())} NOP PHI")

    m("POST", "/bank/{bank}/callbacks", credit, "a new paid order each time")
    m("POST", "/bank/{bank}/callbacks", lambda: bench.callback(f"CT DEN {reference}"),
      "a second transfer to a paid order: overpaid")  # fmt: skip
    m("POST", "/bank/{bank}/callbacks", lambda: bench.callback("CHUYEN TIEN"),
      "no reference: suspense")  # fmt: skip
    m("GET", "/operations/payments/suspense",
      lambda: ("GET", f"/operations/payments/suspense?department={LIVE}", ops, b""))  # fmt: skip
    for path in ("/review/queue", "/signing/queue", "/operations/attention"):
        m("GET", path, lambda path=path: ("GET", f"{path}?department={LIVE}", ops, b""))
    m("GET", "/receipts/{form_number}/{series}/usage",
      lambda: ("GET", "/receipts/01BLP0-001/HP26/usage?from=2026-12-01&to=2026-12-31", ops,
               b""))  # fmt: skip
    m("GET", "/operations/reconciliation/{department}/{day}",
      lambda: ("GET", f"/operations/reconciliation/{LIVE}/2026-12-03", ops, b""))  # fmt: skip
    m("GET", "/operations/reconciliation/{department}/{day}/report",
      lambda: ("GET", f"/operations/reconciliation/{LIVE}/2026-12-03/report", ops, b""),
      "no report that day: 404")  # fmt: skip
    m("GET", "/verify/{reference}",
      lambda: ("GET", "/verify/VN-TH-26-31-00001?code=abc", {}, b""),
      "unknown reference: 404")  # fmt: skip
    unknown = _body({"sha256": "0" * 64})
    m("POST", "/verify/hash", lambda: ("POST", "/verify/hash", {}, unknown), "unknown file: 404")
    reason = "needs a dossier the workflow brought to this state, which this run does not do"
    return [
        ("POST", "/review/dossiers/{dossier_id}/claim", reason),
        ("POST", "/review/dossiers/{dossier_id}/decision", reason),
        ("POST", "/dossiers/{dossier_id}/resubmission", reason),
        ("POST", "/signing/dossiers/{dossier_id}/approval", reason),
        ("POST", "/operations/dossiers/{dossier_id}/retry", reason),
        ("GET", "/dossiers/{dossier_id}/receipt", "needs an issued receipt"),
        ("POST", "/receipts/{form_number}/{series}/{number}/replacement",
         "needs an issued receipt"),
        ("POST", "/receipts/{form_number}/{series}/{number}/cancellation",
         "needs an issued receipt"),
        ("POST", "/operations/payments/suspense/{bank}/{txn_id}/assignment",
         "changes a held event once; not repeatable here"),
    ]  # fmt: skip


def _goods_csv(sample: dict[str, Any]) -> str:
    rows = ["hs_code,description,packages,quantity,unit,gross_weight_kg,fob_amount,fob_currency"]
    for item in sample["goods"]:
        fob = item["fob_value"]
        rows.append(
            f'{item["hs_code"]},"{item["description"]}",{item["packages"]},'
            f"{item['quantity']['value']},{item['quantity']['unit']},{item['gross_weight_kg']},"
            f"{fob['amount']},{fob['currency']}"
        )
    return "\n".join(rows) + "\n"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def print_table(results: list[Measured], skipped: list[tuple[str, str, str]]) -> None:
    print(
        "| route | note | n | median ms | p95 ms "
        "| DynamoDB calls: most in one request (mean per request by operation) | statuses |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for result in results:
        runs = len(result.calls)
        per_call = ", ".join(
            f"{name} {count / runs:g}" for name, count in sorted(result.operations.items())
        )
        statuses = ", ".join(f"{code}x{count}" for code, count in sorted(result.statuses.items()))
        print(
            f"| `{result.method} {result.path}` | {result.note} | {runs} "
            f"| {statistics.median(result.millis):.1f} | {p95(result.millis):.1f} "
            f"| {max(result.calls)} ({per_call or 'none'}) | {statuses} |"
        )
    for method, path, reason in skipped:
        print(f"| `{method} {path}` | not measured: {reason} | | | | | |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    arguments = parser.parse_args()
    prepare_environment()
    from chalicelib.telemetry import logger

    logger.setLevel("ERROR")
    with running_stack() as stack:
        bench = Bench(stack, arguments.runs)
        skipped = run_all(bench)
    print_table(bench.results, skipped)


if __name__ == "__main__":
    main()
