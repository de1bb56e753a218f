"""Latency (median, p95) and DynamoDB calls of each API route, in process on moto.

Run: .venv/bin/python -m bench.bench_routes [--runs 30]

Requests go through the app (routing, token verification, validation, services, adapters)
with Chalice's test client; AWS is moto in process, so the figures are this code's own cost
plus moto's, not network or DynamoDB latency. DynamoDB calls are counted per request with a
botocore `before-call.dynamodb` hook on the app's table client (calls made by workflow tasks
that a request starts run in other threads and are not counted). Routes that change a dossier,
a receipt or a held payment once are measured on a fresh one each run, brought to the state the
route needs through the real state machine; only the route's own request is timed.
"""

from __future__ import annotations

import argparse
import hashlib
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
from tools.demo import LIVE, LIVE_GATES, department_details, qr_text
from tools.samples import attachment_kinds, draft_body, load_sample, registration, simple_pdf

Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body
SAMPLE = "form-d-coffee-th.json"
ACCOUNT = "19036688001011"
LEADER = "Nguyễn Văn An"  # the signing leader of tools.demo's department details


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
        result = self.row(method, template, note)
        for _ in range(self.runs):
            self.timed(result, make())

    def row(self, method: str, template: str, note: str = "") -> Measured:
        result = Measured(method, template, note)
        self.results.append(result)
        return result

    def timed(self, result: Measured, request: Request) -> Any:
        """One request, timed and its DynamoDB calls counted; returns the response."""
        verb, path, headers, body = request
        send = getattr(self.stack.http, verb.lower())
        self.counter.reset()
        started = time.perf_counter()
        response = send(path, headers=headers, body=body)
        result.millis.append((time.perf_counter() - started) * 1000)
        result.calls.append(self.counter.total)
        result.operations.update(self.counter.calls)
        result.statuses[response.status_code] += 1
        return response

    def call(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        payload = b"" if body is None else json.dumps(body).encode()
        response = getattr(self.stack.http, method.lower())(path, headers=headers, body=payload)
        if response.status_code >= 400:
            raise RuntimeError(f"setup {method} {path}: {response.status_code} {response.body!r}")
        return json.loads(response.body) if response.body else None

    # -- setup helpers (not timed)

    def onboard(self) -> None:
        from tools.test_ca import seed_local_signing_secret

        seed_local_signing_secret("local")  # the leader's and the collector's signing material
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

    def paid_dossier(self) -> str:
        """A submitted dossier whose order the bank's callback paid, through the workflow."""
        from chalicelib.domain.dossiers import Status
        from tests.functional.lifecycle_support import wait_for_status

        dossier_id = self.draft(uploaded=True)
        self.call("POST", f"/dossiers/{dossier_id}/submit", self.exporter)
        wait_for_status(dossier_id, Status.AWAITING_PAYMENT)
        order = self.call("GET", f"/dossiers/{dossier_id}/payment", self.exporter)
        _, path, headers, body = self.callback(f"CT DEN {order['payment_reference']} NOP PHI")
        paid = self.stack.http.post(path, headers=headers, body=body)
        if json.loads(paid.body).get("outcome") != "paid":
            raise RuntimeError(f"setup: the callback did not pay {dossier_id}: {paid.body!r}")
        wait_for_status(dossier_id, Status.PAID, Status.UNDER_REVIEW)
        return dossier_id

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

    references: list[str] = []  # paid by callback, then on the day's statement

    def credit() -> Request:
        references.append(bench.payment_order(bench.draft()))
        return bench.callback(f"CT DEN {references[-1]} NOP PHI")

    m("POST", "/bank/{bank}/callbacks", credit, "a new paid order each time")
    m("POST", "/bank/{bank}/callbacks", lambda: bench.callback(f"CT DEN {reference}"),
      "a second transfer to a paid order: overpaid")  # fmt: skip
    m("POST", "/bank/{bank}/callbacks", lambda: bench.callback("CHUYEN TIEN"),
      "no reference: suspense")  # fmt: skip
    m("GET", "/operations/payments/suspense",
      lambda: ("GET", f"/operations/payments/suspense?department={LIVE}", ops, b""))  # fmt: skip
    m("GET", "/operations/fees", _fixed(("GET", "/operations/fees", ops, b"")))
    rate = _body({"amount_vnd": 80_000, "source": "Circular 12/2027/TT-BTC"})
    m("PUT", "/operations/fees/{kind}/{effective_from}",
      _fixed(("PUT", "/operations/fees/issuance/2027-01-01", ops, rate)),
      "the same rate again: a new version each time")  # fmt: skip
    for path in ("/review/queue", "/signing/queue", "/operations/attention"):
        m("GET", path, _fixed(("GET", f"{path}?department={LIVE}", ops, b"")))
    m("GET", "/receipts/{form_number}/{series}/usage",
      lambda: ("GET", "/receipts/01BLP0-001/HP26/usage?from=2026-12-01&to=2026-12-31", ops,
               b""))  # fmt: skip
    m("GET", "/operations/reconciliation/{department}/{day}",
      lambda: ("GET", f"/operations/reconciliation/{LIVE}/2026-12-03", ops, b""),
      "no file that day yet")  # fmt: skip
    m("GET", "/operations/reconciliation/{department}/{day}/report",
      lambda: ("GET", f"/operations/reconciliation/{LIVE}/2026-12-03/report", ops, b""),
      "no report that day yet: 404")  # fmt: skip
    m("GET", "/verify/{reference}",
      lambda: ("GET", "/verify/VN-TH-26-31-00001?code=abc", {}, b""),
      "unknown reference: 404")  # fmt: skip
    unknown = _body({"sha256": "0" * 64})
    m("POST", "/verify/hash", lambda: ("POST", "/verify/hash", {}, unknown), "unknown file: 404")
    measure_state_changes(bench)
    measure_reconciled_day(bench, references)
    return unmeasured(bench.results)


def measure_state_changes(bench: Bench) -> None:
    """Each run takes one dossier through the real state machine, timing each route on its way.

    The review is asked for an amendment and approved on resubmission; the certificate's
    unsigned copy is removed before the leader's approval so the sign step fails and the
    operations retry can be measured on the same dossier; the issued dossier's receipt is
    then replaced and the replacement cancelled.
    """
    from chalicelib.domain.dossiers import Status
    from chalicelib.wiring import container
    from tests.functional.lifecycle_support import wait_for_status, wait_for_token

    exporter, ops = bench.exporter, bench.ops
    specialist = bench.stack.auth("specialist", department=LIVE, subject="spec-bench",
                                  name="Trần Thị Bình")  # fmt: skip
    leader = bench.stack.auth("leader", department=LIVE, subject="lead-bench", name=LEADER)
    row = bench.row
    claim = row("POST", "/review/dossiers/{dossier_id}/claim", "a paid dossier each time")
    amend = row("POST", "/review/dossiers/{dossier_id}/decision", "amend, one comment")
    resubmit = row("POST", "/dossiers/{dossier_id}/resubmission", "after the amendment request")
    approve = row("POST", "/review/dossiers/{dossier_id}/decision", "approve")
    signing = row("POST", "/signing/dossiers/{dossier_id}/approval",
                  "sign then fails (unsigned copy removed) for the retry below")  # fmt: skip
    retry = row("POST", "/operations/dossiers/{dossier_id}/retry",
                "sign failed, unsigned copy restored; the workflow then issues")  # fmt: skip
    receipt = row("GET", "/dossiers/{dossier_id}/receipt", "issued dossier")
    certificate = row("GET", "/dossiers/{dossier_id}/certificate", "issued dossier")
    verify = row("GET", "/verify/{reference}", "issued certificate, code from its QR: 200")
    by_hash = row("POST", "/verify/hash", "the published PDF's SHA-256: 200")
    replace = row("POST", "/receipts/{form_number}/{series}/{number}/replacement",
                  "the issued dossier's receipt, payer address corrected")  # fmt: skip
    cancel = row("POST", "/receipts/{form_number}/{series}/{number}/cancellation",
                 "the replacement just issued")  # fmt: skip
    deps = container()
    s3, bucket = deps.s3, deps.settings.DOCUMENTS_BUCKET
    comment = {"target": "/lines/0/hs_code", "comment": "Use the importing country's HS code"}
    payer = {"name": bench.sample["exporter"]["name_vi"], "tax_code": bench.tax_code,
             "address": "126 Nguyễn Tất Thành, Buôn Ma Thuột"}  # fmt: skip
    for _ in range(bench.runs):
        dossier_id = bench.paid_dossier()
        base = f"/dossiers/{dossier_id}"
        review = f"/review{base}"
        wait_for_token(dossier_id, "review")
        _expect(bench.timed(claim, ("POST", f"{review}/claim", specialist, b"")), 200)
        asked = _body({"decision": "amend", "comments": [comment]})
        _expect(bench.timed(amend, ("POST", f"{review}/decision", specialist, asked)), 200)
        wait_for_status(dossier_id, Status.AMENDMENT_REQUESTED)
        wait_for_token(dossier_id, "amendment")
        _expect(bench.timed(resubmit, ("POST", f"{base}/resubmission", exporter, b"")), 200)
        wait_for_status(dossier_id, Status.UNDER_REVIEW)
        wait_for_token(dossier_id, "review")
        approval = _body({"decision": "approve"})
        _expect(bench.timed(approve, ("POST", f"{review}/decision", specialist, approval)), 200)
        wait_for_status(dossier_id, Status.AWAITING_SIGNATURE)
        wait_for_token(dossier_id, "signature")
        reference = _certificate(dossier_id).reference_number
        unsigned = f"certificates/{reference.replace(' ', '-').replace('/', '-')}/unsigned.pdf"
        kept = s3.get_object(Bucket=bucket, Key=unsigned)["Body"].read()
        s3.delete_object(Bucket=bucket, Key=unsigned)
        sign_path = f"/signing{base}/approval"
        _expect(bench.timed(signing, ("POST", sign_path, leader, b"")), 200)
        wait_for_status(dossier_id, Status.NEEDS_ATTENTION)
        s3.put_object(Bucket=bucket, Key=unsigned, Body=kept)
        retry_path = f"/operations{base}/retry"
        _expect(bench.timed(retry, ("POST", retry_path, ops, b"")), 200)
        _expect_status(wait_for_status(dossier_id, Status.ISSUED, Status.NEEDS_ATTENTION))
        answer = bench.timed(receipt, ("GET", f"{base}/receipt", exporter, b""))
        issued = json.loads(_expect(answer, 200).body)["receipt"]
        _expect(bench.timed(certificate, ("GET", f"{base}/certificate", exporter, b"")), 200)
        published = _certificate(dossier_id)
        pdf = s3.get_object(Bucket=bucket, Key=published.pdf_key)["Body"].read()
        verify_path = "/verify/" + qr_text(pdf).split("/verify/", 1)[1]
        json_headers = {"Accept": "application/json"}
        _expect(bench.timed(verify, ("GET", verify_path, json_headers, b"")), 200)
        sha = _body({"sha256": hashlib.sha256(pdf).hexdigest()})
        _expect(bench.timed(by_hash, ("POST", "/verify/hash", {}, sha)), 200)
        receipt_path = f"/receipts/{issued['form_number']}/{issued['series']}/{issued['number']}"
        correction = _body({"reason": "sai địa chỉ", "payer": payer})
        answer = bench.timed(replace, ("POST", f"{receipt_path}/replacement", ops, correction))
        replacement = json.loads(_expect(answer, 201).body)
        replacement_path = (f"/receipts/{replacement['form_number']}/{replacement['series']}/"
                            f"{replacement['number']}")  # fmt: skip
        cancellation = _body({"reason": "nộp nhầm"})
        request = ("POST", f"{replacement_path}/cancellation", ops, cancellation)
        _expect(bench.timed(cancel, request), 200)
    assign = row("POST", "/operations/payments/suspense/{bank}/{txn_id}/assignment",
                 "a new held transfer, assigned to an unpaid order, each time")  # fmt: skip
    for _ in range(bench.runs):
        order_dossier = bench.draft()
        bench.payment_order(order_dossier)
        _, path, headers, body = bench.callback("CHUYEN TIEN NOP PHI")
        txn_id = json.loads(body)["txn_id"]
        held = bench.stack.http.post(path, headers=headers, body=body)
        if json.loads(held.body).get("outcome") != "suspense":
            raise RuntimeError(f"setup: the transfer was not held: {held.body!r}")
        reason = _body({"dossier_id": order_dossier, "reason": "payer sent the bank slip"})
        assignment = f"/operations/payments/suspense/techcombank/{txn_id}/assignment"
        _expect(bench.timed(assign, ("POST", assignment, ops, reason)), 200)


def measure_reconciled_day(bench: Bench, references: list[str]) -> None:
    """The day's MT940 statement with the orders paid by callback, then its report."""
    import io

    from tools.bank_statement_writer import BankLine, write_mt940

    day = bench.stack.clock().date()
    statement = io.StringIO()
    lines = [BankLine(60_000, f"CT DEN {reference} NOP PHI", bank_reference=f"FT26{n:08d}")
             for n, reference in enumerate(references)]  # fmt: skip
    write_mt940(statement, account=f"970407/{ACCOUNT}", statement_id="TCB-BENCH", sequence=1,
                day=day, opening=0, lines=lines)  # fmt: skip
    from chalicelib.wiring import container

    # The stack hands the bucket's notification to reconcile_statements before put_object
    # returns, so the day is reconciled when the report is read.
    bench.stack.client("s3").put_object(
        Bucket=container().settings.STATEMENTS_BUCKET,
        Key=f"statements/techcombank/{LIVE}/{day.isoformat()}/mt940.sta",
        Body=statement.getvalue().encode(),
    )
    path = f"/operations/reconciliation/{LIVE}/{day.isoformat()}"
    files = bench.call("GET", path, bench.ops)["files"]
    if [file["status"] for file in files] != ["reconciled"]:
        raise RuntimeError(f"setup: the statement was not reconciled: {files}")
    note = f"reconciled day, {len(lines)} statement lines"
    bench.measure("GET", "/operations/reconciliation/{department}/{day}",
                  lambda: ("GET", path, bench.ops, b""), "reconciled day, one file")  # fmt: skip
    bench.measure("GET", "/operations/reconciliation/{department}/{day}/report",
                  lambda: ("GET", f"{path}/report", bench.ops, b""), note)  # fmt: skip
    bench.measure("GET", "/operations/reconciliation/{department}/alerts",
                  lambda: ("GET", f"/operations/reconciliation/{LIVE}/alerts", bench.ops, b""),
                  "after the reconciled day")  # fmt: skip


def unmeasured(results: list[Measured]) -> list[tuple[str, str, str]]:
    """The app's routes this run did not measure, so a new route cannot be left out unseen."""
    import app as app_module

    measured = {(result.method, result.path) for result in results}
    return [
        (method, path, "no measurement in bench_routes")
        for path, methods in sorted(app_module.app.routes.items())
        for method in methods
        if (method, path) not in measured
    ]


def _certificate(dossier_id: str) -> Any:
    from chalicelib.wiring import container

    record = container().certificate_store.get_by_dossier(dossier_id)
    if record is None:
        raise RuntimeError(f"setup: dossier {dossier_id} has no certificate")
    return record


def _expect(response: Any, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"expected {status}, got {response.status_code}: {response.body!r}")
    return response


def _expect_status(dossier: Any) -> None:
    from chalicelib.domain.dossiers import Status

    if dossier.status != Status.ISSUED:
        raise RuntimeError(f"dossier {dossier.id} not issued: {dossier.attention}")


def _fixed(request: Request) -> Callable[[], Request]:
    return lambda: request


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
