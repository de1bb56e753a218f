"""`make demo`: every party of a C/O over the HTTP API of the local stack, step by step.

Operations onboard two departments, the exporters of the four sample applications register
and submit, the bank calls back for their fees, a specialist reviews (one amendment, one
refusal), the leader approves signing, the exporters download certificates and receipts,
the QR code of each certificate is verified, and the day's bank statement is reconciled.

Uses the stack of `make run` when it answers on 127.0.0.1:8000, or starts one and stops it at
the end. Exits non-zero when any step did not do what it should.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from rich.console import Console
from rich.table import Table

from tools.local_issuer import LocalIssuer
from tools.local_stack import FAKE_CREDENTIALS, REGION, ROOT, stage_environment
from tools.samples import (
    SAMPLE_FILES,
    attachment_kinds,
    draft_body,
    load_sample,
    registration,
    simple_pdf,
)

API = os.environ.get("COISSUER_API", "http://127.0.0.1:8000")
MOTO = os.environ.get("COISSUER_MOTO", "http://127.0.0.1:5100")
OUT = Path(os.environ.get("COISSUER_DEMO_OUT", ROOT / "demo-out"))
STAGE = "local"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
BANK = "techcombank"
UNIDENTIFIED_NOTE = "CHUYEN TIEN NOP PHI"
TECHCOMBANK_BIN = "970407"
LIVE = "HAI-PHONG"
SANDBOX = "LANG-SON"
# Every sample is issued by Hai Phong here: its own department is not onboarded in this demo.
LIVE_FORMS = ("B", "D", "E", "VJ", "AK", "AJ", "EUR.1")
SANDBOX_FORMS = ("B", "D", "E")
RECEIPT_SERIES = {LIVE: "HP26", SANDBOX: "LS26"}
WAIT_SECONDS = 90.0
REPORT_COLUMNS = (
    "payment_reference", "outcome", "statement_amount", "recorded_amount", "bank_reference",
    "dossier_id",
)  # fmt: skip
console = Console(highlight=False)


class StepFailedError(Exception):
    """A step did not do what it should; the message says what happened instead."""


# ---------------------------------------------------------------------------- the record


@dataclass
class Step:
    party: str
    action: str
    ok: bool
    detail: str
    seconds: float
    skipped: bool = False


@dataclass
class Journal:
    steps: list[Step] = field(default_factory=list)

    @contextmanager
    def step(self, party: str, action: str) -> Iterator[dict[str, str]]:
        """Runs one step; its `detail` entry is printed; StepFailedError marks it failed."""
        note: dict[str, str] = {"detail": ""}
        started = time.monotonic()
        try:
            yield note
        except StepFailedError as error:
            self._record(party, action, False, str(error), started)
            raise
        except Exception as error:
            self._record(party, action, False, f"{type(error).__name__}: {error}", started)
            raise StepFailedError(str(error)) from error
        self._record(party, action, True, note["detail"], started)

    def _record(self, party: str, action: str, ok: bool, detail: str, started: float) -> None:
        step = Step(party, action, ok, detail, time.monotonic() - started)
        self.steps.append(step)
        mark = "[green]ok[/]" if ok else "[bold red]FAILED[/]"
        console.print(f"  {mark} [cyan]{party:<12}[/] {action}  [dim]{detail}[/]")

    def skip(self, party: str, action: str, reason: str) -> None:
        """Steps that could not run because an earlier one failed; they count as failed."""
        self.steps.append(Step(party, action, False, f"not run: {reason}", 0.0, skipped=True))
        console.print(f"  [yellow]SKIPPED[/] [cyan]{party:<12}[/] {action}")

    @property
    def failed(self) -> list[Step]:
        return [step for step in self.steps if not step.ok]

    def summary(self) -> Table:
        table = Table(title="coissuer demo: summary")
        for column in ("#", "party", "step", "result", "seconds"):
            table.add_column(column)
        for number, step in enumerate(self.steps, 1):
            verdict = "[yellow]SKIPPED[/]" if step.skipped else "[red]FAILED[/]"
            result = "[green]ok[/]" if step.ok else f"{verdict} {step.detail[:90]}"
            table.add_row(str(number), step.party, step.action, result, f"{step.seconds:.2f}")
        return table


# ---------------------------------------------------------------------------- HTTP


class Api:
    """The API as a client sees it: JSON in, JSON out, problems raised as StepFailedError."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.calls = 0

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201),
        raw: bytes | None = None,
    ) -> Any:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            sent.setdefault("Content-Type", "application/json")
        self.calls += 1
        response = self.http.request(method, self.base + path, data=data, headers=sent, timeout=60)
        if response.status_code not in expect:
            raise StepFailedError(
                f"{method} {path} answered {response.status_code}: {_brief(response)}"
            )
        if "json" in response.headers.get("Content-Type", ""):
            return response.json()
        return response.text

    def status_of(self, method: str, path: str, token: str | None = None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, self.base + path, headers=headers, timeout=30).status_code


def _brief(response: requests.Response) -> str:
    try:
        problem = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(problem, dict):
        errors = problem.get("errors") or []
        first = f" ({errors[0].get('pointer')}: {errors[0].get('detail')})" if errors else ""
        detail = problem.get("detail", problem.get("Message", ""))
        return f"{problem.get('title', '')} - {detail}{first}"
    return str(problem)[:200]


def wait_until(what: str, probe: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
    """Polls `probe` until it returns something truthy; the last value names the failure."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last and not isinstance(last, Waiting):
            return last
        time.sleep(0.3)
    raise StepFailedError(f"{what}: still {getattr(last, 'state', last)} after {seconds:.0f}s")


@dataclass
class Waiting:
    state: str

    def __bool__(self) -> bool:
        return False


# ---------------------------------------------------------------------------- the stack


@contextmanager
def local_stack(journal: Journal) -> Iterator[None]:
    """Uses a running stack, or starts `tools.local run` and stops it afterwards."""
    if _healthy():
        console.print(f"[dim]Using the local stack already serving {API}[/]")
        yield
        return
    console.print("[dim]No stack on :8000; starting `python -m tools.local run`...[/]")
    log = (ROOT / ".local" / "demo-stack.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.local", "run"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with journal.step("stack", "start the local stack") as note:
            wait_until("the local stack", _healthy, 120)
            note["detail"] = f"pid {process.pid}, log .local/demo-stack.log"
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        console.print("[dim]Local stack stopped.[/]")


def _healthy() -> bool:
    try:
        return requests.get(API + "/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def aws_client(service: str) -> Any:
    import boto3

    credentials = {
        "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
    }
    return boto3.client(service, region_name=REGION, endpoint_url=MOTO, **credentials)


# ---------------------------------------------------------------------------- parties


class Tokens:
    """Bearer tokens from the local issuer, as `python -m tools.local token` prints them."""

    def __init__(self) -> None:
        self.issuer = LocalIssuer(ROOT / ".local" / "issuer").ensure()

    def operations(self) -> str:
        return self.issuer.token("operations", subject="ops-demo", name="Operations Desk")

    def exporter(self, tax_code: str) -> str:
        return self.issuer.token("exporter", subject=f"exp-{tax_code}", tax_code=tax_code)

    def specialist(self, department: str) -> str:
        return self.issuer.token(
            "specialist", subject="spec-binh", department=department, name="Trần Thị Bình"
        )

    def leader(self, department: str) -> str:
        return self.issuer.token(
            "leader", subject="lead-an", department=department, name="Nguyễn Văn An"
        )


@dataclass
class Case:
    """One sample application as its exporter follows it."""

    sample_file: str
    sample: dict[str, Any]
    token: str
    dossier_id: str = ""
    payment_reference: str = ""
    amount: int = 0
    account: str = ""
    plan: str = "approve"
    verification_url: str = ""
    broken: str = ""

    @property
    def tax_code(self) -> str:
        return str(self.sample["exporter"]["tax_code"])

    @property
    def label(self) -> str:
        return f"{self.sample['form']}:{self.tax_code}"


# ---------------------------------------------------------------------------- operations


def department_details(code: str, forms: tuple[str, ...], account: str) -> dict[str, Any]:
    domain = code.lower().replace("-", "")
    return {
        "tax_code": "0200123457" if code == LIVE else "4900123467",
        "fee_account": {
            "bank_bin": TECHCOMBANK_BIN,
            "account_number": account,
            "account_name": f"SO CONG THUONG {code.replace('-', ' ')}",
        },
        "receipt": {"form_number": "01BLP0-001", "series": RECEIPT_SERIES[code]},
        "allowed_forms": list(forms),
        "fee_collection_from": "2026-01-01",
        "e_receipts_from": "2026-01-01",
        "contacts": [
            {
                "name": "Nguyễn Văn An",
                "role": "signing_leader",
                "title": "Phó Giám đốc",
                "phone": "0912 345 678",
                "email": f"an.nv@sct.{domain}.gov.vn",
                "signing_certificate": "5404FFFEB7033FB316D672201B7BA4FE",
                "published": True,
            },
            {
                "name": "Trần Thị Bình",
                "role": "review_specialist",
                "phone": "0225 3842 111",
                "email": f"binh.tt@sct.{domain}.gov.vn",
                "published": True,
            },
            {
                "name": "Lê Minh Cường",
                "role": "technical_focal_point",
                "phone": "0987 654 321",
                "email": f"cuong.lm@sct.{domain}.gov.vn",
            },
        ],
    }


SANDBOX_GATES = ("legal_assignment", "director_authorisation", "contacts_complete")
LIVE_GATES = (
    *SANDBOX_GATES,
    "fee_account_contract",
    "bank_connection_tested",
    "e_receipt_registered",
    "signing_certificates_registered",
    "sandbox_test_passed",
)


def onboard(
    api: Api, journal: Journal, token: str, code: str, target: str, forms: tuple[str, ...]
) -> dict[str, Any]:
    account = "19036688001011" if code == LIVE else "19036688002022"
    with journal.step("operations", f"{code}: details (fee account, forms, contacts)") as note:
        department = api.call(
            "PUT",
            f"/operations/departments/{code}",
            token,
            department_details(code, forms, account),
        )
        note["detail"] = f"{department['name_en']}, forms {', '.join(department['allowed_forms'])}"
    gates = LIVE_GATES if target == "live" else SANDBOX_GATES
    with journal.step("operations", f"{code}: evidence for {len(gates)} gates") as note:
        for number, gate in enumerate(gates, 1):
            evidence = {"document_number": f"{number:03d}/QD-{code}", "document_date": "2026-11-02"}
            api.call("PUT", f"/operations/departments/{code}/gates/{gate}", token, evidence)
        note["detail"] = ", ".join(gates)
    path = ["sandbox", "live"] if target == "live" else ["sandbox"]
    with journal.step("operations", f"{code}: move to {target}") as note:
        state = api.call("GET", f"/operations/departments/{code}", token)["state"]
        for move in path:
            if state == move or (state == "live" and move == "sandbox"):
                continue
            body = {"state": move, "reason": "readiness gates complete"}
            state = api.call("POST", f"/operations/departments/{code}/moves", token, body)["state"]
        if state != target:
            raise StepFailedError(f"{code} is {state}, not {target}")
        note["detail"] = f"now {state}"
    return {"code": code, "account": account}


# ---------------------------------------------------------------------------- exporters


def register_and_submit(api: Api, journal: Journal, case: Case, department: str) -> None:
    with journal.step(case.label, "register the trader profile") as note:
        body = registration(case.sample).model_dump(mode="json")
        api.call("POST", "/traders", case.token, body, expect=(201, 409))
        profile = api.call("GET", f"/traders/{case.tax_code}", case.token)
        note["detail"] = f"{profile['name_en']}, renewal due {profile['renewal_due_on']}"
    with journal.step(case.label, f"create the draft (Form {case.sample['form']})") as note:
        headers = {"Idempotency-Key": f"demo-{uuid.uuid4().hex}"}
        body = draft_body(case.sample, department)
        dossier = api.call("POST", "/dossiers", case.token, body, headers=headers)
        case.dossier_id = dossier["id"]
        note["detail"] = f"{case.dossier_id}, {len(dossier['lines'])} goods lines, to {department}"
    with journal.step(case.label, "upload the documents (presigned POST)") as note:
        kinds = attachment_kinds(case.sample)
        for kind in kinds:
            upload(api, case, kind)
        note["detail"] = ", ".join(kinds)
    with journal.step(case.label, "submit") as note:
        dossier = api.call("POST", f"/dossiers/{case.dossier_id}/submit", case.token)
        note["detail"] = f"status {dossier['status']}"


def upload(api: Api, case: Case, kind: str) -> None:
    content = _document(case, kind)
    request = {
        "kind": kind,
        "filename": f"{kind}.pdf",
        "content_type": "application/pdf",
        "size": len(content),
    }
    form = api.call("POST", f"/dossiers/{case.dossier_id}/attachments", case.token, request)
    files = {"file": (request["filename"], content, "application/pdf")}
    response = requests.post(form["url"], data=form["fields"], files=files, timeout=30)
    if response.status_code not in (200, 201, 204):
        raise StepFailedError(f"upload of {kind} answered {response.status_code}")


def _document(case: Case, kind: str) -> bytes:
    return simple_pdf(f"{kind} of {case.sample['exporter']['name']}")


def dossier_status(api: Api, token: str, dossier_id: str) -> str:
    return str(api.call("GET", f"/dossiers/{dossier_id}", token)["dossier"]["status"])


def wait_for_status(api: Api, token: str, dossier_id: str, *wanted: str) -> str:
    def probe() -> str | Waiting:
        status = dossier_status(api, token, dossier_id)
        if status == "needs_attention":
            raise StepFailedError(
                f"the dossier needs attention: {attention(api, token, dossier_id)}"
            )
        return status if status in wanted else Waiting(status)

    return str(wait_until(f"dossier {dossier_id} to be {'/'.join(wanted)}", probe))


def attention(api: Api, token: str, dossier_id: str) -> str:
    dossier = api.call("GET", f"/dossiers/{dossier_id}", token)["dossier"]
    record = dossier.get("attention") or {}
    return f"step {record.get('step')}, {record.get('error')}: {record.get('cause')}"


def payment_order(api: Api, journal: Journal, case: Case) -> None:
    with journal.step(case.label, "read the payment order (VietQR)") as note:
        wait_for_status(api, case.token, case.dossier_id, "awaiting_payment")
        order = wait_until("the payment order", lambda: _order(api, case))
        case.payment_reference = order["payment_reference"]
        case.amount = int(order["amount_vnd"])
        case.account = order["transfer"]["account_number"]
        note["detail"] = (
            f"{case.amount:,} VND to {case.account}, reference {case.payment_reference}"
        )


def _order(api: Api, case: Case) -> Any:
    try:
        return api.call("GET", f"/dossiers/{case.dossier_id}/payment", case.token)
    except StepFailedError as error:
        if " 404:" in str(error):
            return Waiting("no payment order yet")
        raise


# ---------------------------------------------------------------------------- the bank


class Bank:
    """Techcombank's side: signed callbacks, and the statement of the day."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.environment = stage_environment(STAGE)
        self.secret = self._secret()
        self.booked: list[tuple[int, str, str]] = []  # amount, note, bank reference

    def _secret(self) -> str:
        name = self.environment["BANK_SECRET_PREFIX"] + BANK
        value = aws_client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
        return str(json.loads(value)["current"])

    def transfer_note(self, reference: str) -> str:
        return f"CT DEN:{uuid.uuid4().int % 10000:04d} {reference} NOP PHI CO"

    def book(self, amount: int, note: str) -> str:
        reference = f"FT{datetime.now(UTC):%y%j}{uuid.uuid4().int % 10**8:08d}"
        self.booked.append((amount, note, reference))
        return reference

    def callback(self, account: str, amount: int, note: str, txn_id: str) -> dict[str, Any]:
        body = json.dumps(
            {
                "txn_id": txn_id,
                "kind": "credit",
                "account": account,
                "amount": amount,
                "currency": "VND",
                "note": note,
                "booked_at": datetime.now(VIETNAM).isoformat(timespec="seconds"),
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        headers = signed_headers(self.secret, body, int(time.time()))
        return dict(self.api.call("POST", f"/bank/{BANK}/callbacks", raw=body, headers=headers))

    def statement(self, account: str, day: date) -> bytes:
        from tools.bank_statement_writer import BankLine, write_mt940

        out = io.StringIO()
        lines = [BankLine(amount, note, bank_reference=ref) for amount, note, ref in self.booked]
        write_mt940(
            out,
            account=account,
            statement_id=f"TCB{day:%Y%m%d}{uuid.uuid4().hex[:6].upper()}",
            sequence=int(day.strftime("%j")),
            day=day,
            opening=0,
            lines=lines,
        )
        return out.getvalue().encode()


def signed_headers(secret: str, body: bytes, unix_time: int) -> dict[str, str]:
    """The headers of a callback signed as docs/bank-integration.md tells banks to."""
    timestamp = str(unix_time)
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Coissuer-Timestamp": timestamp,
        "X-Coissuer-Signature": signature.hexdigest(),
    }


def pay(api: Api, journal: Journal, bank: Bank, case: Case) -> None:
    with journal.step("bank", f"callback for {case.payment_reference} ({case.label})") as note:
        transfer_note = bank.transfer_note(case.payment_reference)
        txn_id = bank.book(case.amount, transfer_note)
        answer = bank.callback(case.account, case.amount, transfer_note, txn_id)
        if answer.get("outcome") != "paid":
            raise StepFailedError(f"the callback's outcome is {answer.get('outcome')}, not paid")
        again = bank.callback(case.account, case.amount, transfer_note, txn_id)
        if again != answer:
            raise StepFailedError("a repeated delivery of the callback got another answer")
        note["detail"] = f"{txn_id}: paid (a second delivery got the same answer)"


# ---------------------------------------------------------------------------- staff


def review(api: Api, journal: Journal, specialist: str, case: Case) -> None:
    with journal.step("specialist", f"claim {case.label} from the work queue") as note:
        wait_for_status(api, case.token, case.dossier_id, "paid", "under_review")
        queue = api.call("GET", "/review/queue?status=paid", specialist)
        listed = any(item["dossier_id"] == case.dossier_id for item in queue["items"])
        claimed = wait_until("the review step to wait", lambda: _claim(api, specialist, case))
        note["detail"] = f"in the queue: {listed}; status {claimed['status']}"
    if case.plan == "refuse":
        refuse(api, journal, specialist, case)
        return
    if case.plan == "amend":
        amend_and_resubmit(api, journal, specialist, case)
    with journal.step("specialist", f"approve {case.label}") as note:
        decision = {"decision": "approve"}
        item = api.call(
            "POST", f"/review/dossiers/{case.dossier_id}/decision", specialist, decision
        )
        note["detail"] = f"status {item['status']}"


def _claim(api: Api, specialist: str, case: Case) -> Any:
    try:
        return api.call("POST", f"/review/dossiers/{case.dossier_id}/claim", specialist)
    except StepFailedError as error:
        if " 409:" not in str(error):
            raise
    status = dossier_status(api, case.token, case.dossier_id)
    if status == "needs_attention":
        raise StepFailedError(
            f"the dossier needs attention: {attention(api, case.token, case.dossier_id)}"
        )
    return Waiting(f"{status}, not yet waiting for review")


def refuse(api: Api, journal: Journal, specialist: str, case: Case) -> None:
    with journal.step("specialist", f"refuse {case.label}") as note:
        decision = {
            "decision": "refuse",
            "refusal_reason": "inconsistent_dossier",
            "refusal_text": "The invoice value differs from the export declaration.",
        }
        api.call("POST", f"/review/dossiers/{case.dossier_id}/decision", specialist, decision)
        status = wait_for_status(api, case.token, case.dossier_id, "refused")
        note["detail"] = f"status {status} (inconsistent_dossier)"


def amend_and_resubmit(api: Api, journal: Journal, specialist: str, case: Case) -> None:
    with journal.step("specialist", f"ask {case.label} for an amendment") as note:
        decision = {
            "decision": "amend",
            "comments": [
                {"target": "/consignee/address", "comment": "Give the consignee's full address."}
            ],
        }
        api.call("POST", f"/review/dossiers/{case.dossier_id}/decision", specialist, decision)
        status = wait_for_status(api, case.token, case.dossier_id, "amendment_requested")
        note["detail"] = f"status {status}: /consignee/address"
    with journal.step(case.label, "fix the consignee address and resubmit") as note:
        consignee = dict(case.sample["consignee"])
        consignee["address"] = consignee["address"] + " (Building A, 2nd floor)"
        api.call("PATCH", f"/dossiers/{case.dossier_id}", case.token, {"consignee": consignee})
        item = api.call("POST", f"/dossiers/{case.dossier_id}/resubmission", case.token)
        note["detail"] = f"status {item['status']}, no new fee"


def sign(api: Api, journal: Journal, leader: str, case: Case) -> None:
    with journal.step("leader", f"approve signing {case.label}") as note:
        wait_for_status(api, case.token, case.dossier_id, "awaiting_signature")
        queue = api.call("GET", "/signing/queue", leader)
        listed = any(item["dossier_id"] == case.dossier_id for item in queue["items"])
        api.call("POST", f"/signing/dossiers/{case.dossier_id}/approval", leader)
        status = wait_for_status(api, case.token, case.dossier_id, "issued")
        note["detail"] = f"in the signing queue: {listed}; status {status}"


# ---------------------------------------------------------------------------- documents


def download(api: Api, journal: Journal, case: Case) -> None:
    folder = OUT / case.dossier_id
    folder.mkdir(parents=True, exist_ok=True)
    with journal.step(case.label, "download the e-receipt (PDF, XML)") as note:
        receipt = wait_until("the receipt", lambda: _receipt(api, case), seconds=WAIT_SECONDS)
        for suffix in ("pdf", "xml"):
            url = receipt.get(f"{suffix}_url")
            if url:
                _fetch(url, folder / f"receipt.{suffix}")
        view = receipt["receipt"]
        note["detail"] = f"No. {view['series']}-{view['number']}, {view['amount']:,} VND"
    with journal.step(case.label, "download the signed certificate") as note:
        require_route(api, "GET", CERTIFICATE_ROUTE)
        certificate = api.call("GET", f"/dossiers/{case.dossier_id}/certificate", case.token)
        path = folder / "certificate.pdf"
        _fetch(certificate["pdf_url"], path)
        note["detail"] = f"{certificate['reference_number']} -> {path.relative_to(ROOT)}"
    with journal.step(case.label, "check the PDF signature (pyHanko, test CA)") as note:
        ca_pem = (ROOT / ".local" / "pki" / "ca.cert.pem").read_bytes()
        note["detail"] = signature_status(path.read_bytes(), ca_pem)
    with journal.step(case.label, "read the QR code of the certificate") as note:
        case.verification_url = qr_text(path.read_bytes())
        note["detail"] = case.verification_url


# The exporter's certificate download, as the receipt's: a short-lived link to the published
# PDF. Answer: {"reference_number": "...", "pdf_url": "...", "expires_in": 300}.
CERTIFICATE_ROUTE = "/dossiers/{dossier_id}/certificate"


def require_route(api: Api, method: str, path: str) -> None:
    """Fails naming the route when the API's own description does not have it."""
    document = api.call("GET", "/openapi.json")
    if method.lower() not in document.get("paths", {}).get(path, {}):
        raise StepFailedError(f"the API has no route {method} {path} yet")


def _receipt(api: Api, case: Case) -> Any:
    try:
        return api.call("GET", f"/dossiers/{case.dossier_id}/receipt", case.token)
    except StepFailedError as error:
        if " 404:" in str(error):
            return Waiting("no receipt yet")
        raise


def _fetch(url: str, path: Path) -> None:
    response = requests.get(url, timeout=30)
    if response.status_code != 200:
        raise StepFailedError(f"download of {path.name} answered {response.status_code}")
    path.write_bytes(response.content)


def qr_text(pdf: bytes) -> str:
    """The text of the first QR code on the first page of a PDF."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=3).to_pil()
    codes = [code for code in zxingcpp.read_barcodes(image) if "QR" in str(code.format)]
    if not codes:
        raise StepFailedError("no QR code on the certificate's first page")
    return str(codes[0].text)


def signature_status(pdf: bytes, ca_pem: bytes) -> str:
    """pyHanko's verdict on the first signature, trusting only the given CA."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = x509.Certificate.load(pem.unarmor(ca_pem)[2])
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    if not signatures:
        raise StepFailedError("the certificate carries no signature")
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    status = validate_pdf_signature(signatures[0], context)
    if not status.bottom_line:
        raise StepFailedError(f"the signature does not validate: {status.summary()}")
    coverage = status.coverage.name.lower() if status.coverage else "unknown coverage"
    signer = status.signing_cert.subject.human_friendly
    return f"valid, {coverage}, signed by {signer}"


def verify(api: Api, journal: Journal, case: Case) -> None:
    with journal.step("anyone", f"call the QR URL of {case.label}") as note:
        if not case.verification_url.startswith(API):
            raise StepFailedError(f"the QR code points to {case.verification_url}, not to {API}")
        path = case.verification_url.removeprefix(API)
        result = api.call("GET", path, headers={"Accept": "application/json"})
        if result.get("status") != "valid":
            raise StepFailedError(f"verification answered {result.get('status')}")
        note["detail"] = f"{result.get('reference_number', '')}: {result['status']}"


# ---------------------------------------------------------------------------- reconciliation


def lost_callback_case(api: Api, journal: Journal, bank: Bank, case: Case, second: Case) -> None:
    """A second shipment of one exporter (a clone) whose callback never arrives."""
    with journal.step(case.label, "clone the dossier for a second shipment and submit") as note:
        headers = {"Idempotency-Key": f"demo-{uuid.uuid4().hex}"}
        clone = api.call("POST", f"/dossiers/{case.dossier_id}/clone", case.token, headers=headers)
        second.dossier_id = clone["id"]
        for kind in attachment_kinds(case.sample):
            upload(api, second, kind)
        api.call("POST", f"/dossiers/{second.dossier_id}/submit", case.token)
        note["detail"] = f"{second.dossier_id} cloned from {case.dossier_id}"
    payment_order(api, journal, second)
    with journal.step("bank", f"book {second.payment_reference}; its callback is lost") as note:
        bank.book(second.amount, bank.transfer_note(second.payment_reference))
        note["detail"] = "booked on the account, never called back"


def book_unidentified(journal: Journal, bank: Bank) -> None:
    with journal.step("bank", "book a transfer nobody can identify") as note:
        bank.book(60_000, UNIDENTIFIED_NOTE)
        note["detail"] = "60,000 VND, note without a payment reference"


def reconcile(api: Api, journal: Journal, bank: Bank, ops: str, account: str, lost: Case) -> None:
    day = datetime.now(VIETNAM).date()
    key = f"statements/{BANK}/{LIVE}/{day.isoformat()}/MT940-{uuid.uuid4().hex[:8]}.sta"
    with journal.step("bank", f"drop the day's MT940 statement ({len(bank.booked)} lines)") as note:
        body = bank.statement(account, day)
        bucket = bank.environment["STATEMENTS_BUCKET"]
        queue = StatementQueue(bank.environment)
        aws_client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        note["detail"] = f"s3://{bucket}/{key}"
    path = f"/operations/reconciliation/{LIVE}/{day.isoformat()}"
    with journal.step("lambda", "the statements queue runs reconcile_statements") as note:
        note["detail"] = wait_for_reconciliation(api, ops, path, queue)
    with journal.step("operations", "read the reconciliation of the day") as note:
        report = api.call("GET", path + "/report", ops)
        counts = _counts(report)
        note["detail"] = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    print_report(report)
    with journal.step("operations", "the report names the lost callback and the stranger") as note:
        outcomes = {row[0]: row[1] for row in report.get("rows", [])}
        if not lost.payment_reference:
            raise StepFailedError("the payment with the lost callback could not be set up")
        if outcomes.get(lost.payment_reference) != "missed_callback":
            raise StepFailedError(
                f"{lost.payment_reference}: {outcomes.get(lost.payment_reference)}"
            )
        if not _counts(report).get("unidentified"):
            raise StepFailedError("no unidentified line in the report")
        note["detail"] = f"{lost.payment_reference} missed_callback; 1 unidentified"
    with journal.step(lost.label, "the reconciled payment moves the dossier on") as note:
        if not lost.dossier_id:
            raise StepFailedError("no dossier with a lost callback")
        status = wait_for_status(
            api, lost.token, lost.dossier_id, "paid", "under_review", "approved"
        )
        note["detail"] = f"{lost.dossier_id}: {status}"
    with journal.step("operations", "the unidentified transfer waits in suspense") as note:
        held = api.call("GET", f"/operations/payments/suspense?department={LIVE}", ops)
        stranger = [
            item
            for item in held["items"]
            if item["amount"] == 60_000 and UNIDENTIFIED_NOTE in item["note"].upper()
        ]
        if len(stranger) != 1:
            raise StepFailedError(
                f"{len(stranger)} suspense items for the unidentified transfer, not one"
            )
        note["detail"] = f"{stranger[0]['txn_id']} held ({len(held['items'])} item(s) in all)"


class StatementQueue:
    """The statements queue as Lambda's poller sees it, and its dead-letter queue."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.sqs, self.functions = aws_client("sqs"), aws_client("lambda")
        self.name = environment["STATEMENTS_QUEUE_NAME"]
        self.url = self.sqs.get_queue_url(QueueName=self.name)["QueueUrl"]
        self.dead_letters = self.sqs.get_queue_url(QueueName=f"{self.name}-dlq")["QueueUrl"]
        self.parked_before = self.parked()

    def parked(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.dead_letters, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def check_nothing_parked(self) -> None:
        parked = self.parked() - self.parked_before
        if parked > 0:
            raise StepFailedError(
                f"reconcile_statements failed on the file: {parked} message(s) parked in "
                f"{self.name}-dlq (the error is in the stack's log)"
            )

    def deliver(self) -> int:
        """Hands waiting messages to `reconcile_statements` through moto's Lambda, as the
        queue's event source mapping does in AWS (moto does not run it for messages that an
        S3 notification puts in the queue)."""
        arn = f"arn:aws:sqs:{REGION}:123456789012:{self.name}"
        answer = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        for message in messages:
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            }
            self.functions.invoke(
                FunctionName=f"coissuer-{STAGE}-reconcile_statements",
                Payload=json.dumps({"Records": [record]}).encode(),
            )
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


def wait_for_reconciliation(api: Api, ops: str, path: str, queue: StatementQueue) -> str:
    """Waits for the day's file; delivers the queued message if nothing else does."""
    delivered = 0
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        queue.check_nothing_parked()
        if _reconciled(api, ops, path, ""):
            how = (
                f"by the poller stand-in ({delivered} message(s))" if delivered else "by the stack"
            )
            return f"reconciled {how}"
        if time.monotonic() > deadline - WAIT_SECONDS + 3:
            delivered += queue.deliver()
        time.sleep(0.5)
    raise StepFailedError(f"the statement was not reconciled in {WAIT_SECONDS:.0f}s")


def _reconciled(api: Api, ops: str, path: str, key: str) -> Any:
    files = api.call("GET", path, ops, expect=(200, 404))
    if not isinstance(files, dict) or not files.get("files"):
        return Waiting("no file reconciled yet")
    done = [item for item in files["files"] if item["status"] != "in_progress"]
    return done or Waiting(files["files"][0]["status"])


def _counts(report: dict[str, Any]) -> dict[str, int]:
    counts = report.get("counts") or {}
    return {str(name): int(count) for name, count in counts.items()}


def print_report(report: dict[str, Any]) -> None:
    table = Table(title=f"Reconciliation report, {LIVE}")
    columns = report.get("columns", [])
    shown = [column for column in columns if column in REPORT_COLUMNS]
    for column in shown:
        table.add_column(column)
    for row in report.get("rows", []):
        values = dict(zip(columns, row, strict=False))
        table.add_row(*(str(values.get(column) or "") for column in shown))
    console.print(table)


# ---------------------------------------------------------------------------- the story


def run(journal: Journal) -> None:
    api, tokens = Api(API), Tokens()
    ops = tokens.operations()
    console.rule("1. Operations onboard two departments")
    live = onboard(api, journal, ops, LIVE, "live", LIVE_FORMS)
    onboard(api, journal, ops, SANDBOX, "sandbox", SANDBOX_FORMS)
    with journal.step("anyone", "the public directory lists the live department") as note:
        codes = [item["code"] for item in api.call("GET", "/directory")["departments"]]
        if LIVE not in codes or SANDBOX in codes:
            raise StepFailedError(f"the directory lists {codes}")
        note["detail"] = f"{LIVE} listed, {SANDBOX} (sandbox) not"

    console.rule("2. Exporters register and submit; the bank calls back")
    console.print(
        f"[yellow]The samples name their own departments; all four are submitted to {LIVE}, "
        f"which issues Forms {', '.join(LIVE_FORMS)}.[/]"
    )
    cases = [
        Case(name, (sample := load_sample(name)), tokens.exporter(sample["exporter"]["tax_code"]))
        for name in SAMPLE_FILES
    ]
    plans = {"form-d-coffee-th.json": "amend", "form-b-cashew-ae.json": "refuse"}
    bank = Bank(api)
    for case in cases:
        case.plan = plans.get(case.sample_file, "approve")
        follow(
            case,
            lambda case=case: register_and_submit(api, journal, case, LIVE),
            lambda case=case: payment_order(api, journal, case),
            lambda case=case: pay(api, journal, bank, case),
        )

    console.rule("3. Review and signature")
    specialist, leader = tokens.specialist(LIVE), tokens.leader(LIVE)
    for case in cases:
        follow(case, lambda case=case: review(api, journal, specialist, case))
    issued = [case for case in cases if case.plan != "refuse"]
    for case in issued:
        follow(case, lambda case=case: sign(api, journal, leader, case))

    console.rule("4. Exporters download; anyone verifies")
    for case in issued:
        follow(
            case,
            lambda case=case: download(api, journal, case),
            lambda case=case: verify(api, journal, case),
        )

    console.rule("5. The day's statement is reconciled")
    lost = Case(cases[0].sample_file, cases[0].sample, cases[0].token, plan="lost")
    if cases[0].dossier_id:
        follow(lost, lambda: lost_callback_case(api, journal, bank, cases[0], lost))
    book_unidentified(journal, bank)
    try:
        reconcile(api, journal, bank, ops, live["account"], lost)
    except StepFailedError as error:
        journal.skip("operations", "the remaining reconciliation checks", str(error))
    for case in [*cases, lost]:
        if case.broken:
            journal.skip(case.label, "later steps of this dossier", case.broken)


def follow(case: Case, *actions: Callable[[], Any]) -> None:
    """Runs a dossier's next steps in order; after a failure its later steps are skipped,
    and the other dossiers go on."""
    for action in actions:
        if case.broken:
            return
        try:
            action()
        except StepFailedError as error:
            case.broken = str(error)


def main() -> int:
    journal = Journal()
    # Files of an earlier run were signed under an earlier stack's test CA: start clean.
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    console.rule("[bold]coissuer demo")
    try:
        with local_stack(journal):
            run(journal)
    except StepFailedError as error:
        console.print(f"[bold red]Stopped: {error}[/]")
    console.print(journal.summary())
    failed = journal.failed
    if failed or not journal.steps:
        console.print(f"[bold red]{len(failed)} step(s) failed.[/]")
        return 1
    console.print(f"[bold green]All {len(journal.steps)} steps did what they should.[/] "
                  f"Files in {OUT}.")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
