"""A local fake of VNPT's receipt web service: SOAP over HTTP on 127.0.0.1, random port.

It keeps published receipts by key, checks credentials, and can be told to answer an error
code, an HTTP status, or to hold its answer (after doing the work) to provoke a timeout.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET

SOAP_NS = "{http://schemas.xmlsoap.org/soap/envelope/}"
TNS = "http://tempuri.org/"


@dataclass
class FiledReceipt:
    fkey: str
    pattern: str
    serial: str
    number: str
    xml: str
    status: str = "published"
    corrects: str | None = None


@dataclass
class Script:
    """What the fake does on the next calls of one operation, in order."""

    answers: deque[str] = field(default_factory=deque)
    statuses: deque[int] = field(default_factory=deque)
    holds: deque[float] = field(default_factory=deque)


class FakeVnptReceiptService:
    def __init__(self, account: str, account_password: str, username: str, password: str) -> None:
        self._credentials = (account, account_password, username, password)
        self.receipts: dict[str, FiledReceipt] = {}
        self.calls: Counter[str] = Counter()
        self._scripts: defaultdict[str, Script] = defaultdict(Script)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/PublishService.asmx"

    def start(self) -> FakeVnptReceiptService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer_next(self, operation: str, answer: str) -> None:
        self._scripts[operation].answers.append(answer)

    def fail_next_with_status(self, operation: str, status: int) -> None:
        self._scripts[operation].statuses.append(status)

    def hold_next_answer(self, operation: str, seconds: float) -> None:
        """Does the work, then waits before answering, as a slow service would."""
        self._scripts[operation].holds.append(seconds)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                status, body = fake._respond(self.rfile.read(length))
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)  # unless the client gave up waiting

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

    def _respond(self, request: bytes) -> tuple[int, bytes]:
        operation, values = _operation_of(request)
        with self._lock:
            self.calls[operation] += 1
            script = self._scripts[operation]
            status = script.statuses.popleft() if script.statuses else 200
            scripted = script.answers.popleft() if script.answers else None
            hold = script.holds.popleft() if script.holds else 0.0
        if status == 500:
            return status, _fault("Server was unable to process request.")
        if status != 200:
            return status, b"<html>Service Unavailable</html>"

        with self._lock:
            answer = scripted or self._perform(operation, values)
        if hold:
            time.sleep(hold)
        return 200, _envelope(operation, answer)

    def _perform(self, operation: str, values: dict[str, str]) -> str:
        given = (values.get("Account"), values.get("ACpass"))
        if given != self._credentials[:2]:
            return "ERR:1"
        if (values.get("username"), values.get("password")) != self._credentials[2:]:
            return "ERR:7"
        if operation == "GetInvByFkey":
            filed = self.receipts.get(values["fkey"])
            return _ok(filed) if filed else "ERR:2"
        if operation == "CancelInv":
            return self._cancel(values["fkey"])
        return self._file(operation, values)

    def _file(self, operation: str, values: dict[str, str]) -> str:
        batch = SafeET.fromstring(values["xmlInvData"])
        fkey = batch.findtext("Inv/key") or ""
        if fkey in self.receipts:
            return "ERR:13"
        corrects = values.get("fkey")
        if corrects is not None:
            original = self.receipts.get(corrects)
            if original is None:
                return "ERR:2"
            if original.status != "published":
                return "ERR:9"
            original.status = "replaced" if operation == "ReplaceInv" else "adjusted"
        number = batch.findtext("Inv/HDon/DLHDon/TTChung/SHDon") or ""
        filed = FiledReceipt(
            fkey,
            values["pattern"],
            values["serial"],
            number,
            values["xmlInvData"],
            corrects=corrects,
        )
        self.receipts[fkey] = filed
        return _ok(filed)

    def _cancel(self, fkey: str) -> str:
        filed = self.receipts.get(fkey)
        if filed is None:
            return "ERR:2"
        if filed.status != "published":
            return "ERR:9"
        filed.status = "cancelled"
        return "OK:"


def _operation_of(request: bytes) -> tuple[str, dict[str, str]]:
    body = SafeET.fromstring(request).find(f"{SOAP_NS}Body")
    call = next(iter(body))
    operation = call.tag.split("}")[-1]
    values = {child.tag.split("}")[-1]: child.text or "" for child in call}
    return operation, values


def _ok(filed: FiledReceipt) -> str:
    return f"OK:{filed.pattern};{filed.serial}-{filed.fkey}_{filed.number}"


def _fault(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f"<soap:Fault><faultcode>soap:Server</faultcode><faultstring>{escape(message)}"
        "</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def _envelope(operation: str, answer: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<{operation}Response xmlns="{TNS}"><{operation}Result>{escape(answer)}'
        f"</{operation}Result></{operation}Response></soap:Body></soap:Envelope>"
    ).encode()
