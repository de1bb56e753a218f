"""Fuzz the HTTP API from its OpenAPI document, in-process on the local stack.

    python -m tools.fuzz --examples 200 [--seed 20261203]

Every route of the served document (GET /openapi.json) gets `examples` generated requests
(schemathesis, with a fixed seed), sent with a token of a role the route admits, through the
app's own test client: `examples` with generated path parameters, and `examples` with the
path parameters of a small world (a real dossier, trader, bank, department), so requests get
past the lookups. Callbacks are signed with the world's bank secret, and a few known-good
requests (a trader registration, a paying callback) are sent as explicit cases. A response
fails when it is a 5xx, has a status the document does not list, or does not match the
documented schema. `make test` runs a few examples per route (tests/security); the campaign
prints each route's statuses and the number of requests.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

BASE_URL = "http://coissuer.test"
TRADER = "6002837411"
DEPARTMENT = "DAK-LAK"
# The caller each route is fuzzed as: the first role, in this order, that the route admits.
PREFERRED_ROLES = ("operations", "specialist", "leader", "exporter", "auditor")


def served_document(http: Any) -> dict[str, Any]:
    """The OpenAPI document as the app serves it at GET /openapi.json."""
    response = http.get("/openapi.json")
    if response.status_code != 200:
        raise RuntimeError(f"GET /openapi.json answered {response.status_code}")
    return dict(json.loads(response.body))


def caller_for(operation: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """The role and claims to fuzz an operation with; None for public and bank routes."""
    roles = operation.get("x-roles") or []
    for role in PREFERRED_ROLES:
        if role in roles:
            claims = {"exporter": {"tax_code": TRADER}}.get(role, {})
            if role in ("specialist", "leader"):
                claims = {"department": DEPARTMENT}
            return role, claims
    return None


@dataclass(frozen=True)
class FuzzWorld:
    """What exists on the stack being fuzzed: path parameter values that name real things, a
    signer for bank callbacks, and known-good bodies keyed by (method, path)."""

    path_values: dict[str, str] = field(default_factory=dict)
    sign_callback: Callable[[bytes], dict[str, str]] | None = None
    explicit_bodies: dict[tuple[str, str], list[Any]] = field(default_factory=dict)


@dataclass
class Findings:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def exercised(self) -> set[str]:
        """'METHOD /path' of every operation that got at least one request."""
        return {key.rsplit(" ", 1)[0] for key in self.statuses}

    def succeeded(self) -> set[str]:
        """'METHOD /path' of every operation that answered 2xx at least once."""
        split = (key.rsplit(" ", 1) for key in self.statuses)
        return {operation for operation, status in split if status.startswith("2")}


_CALLBACK_PATH = re.compile(r"^/bank/[^/]+/callbacks$")


class _ChaliceAdapter:
    """A requests transport that hands each request to the chalice test client, signing
    bank callbacks as the bank would when the world has a signer."""

    def __init__(self, http: Any, sign_callback: Callable[[bytes], dict[str, str]] | None) -> None:
        self.http = http
        self.sign_callback = sign_callback

    def send(self, request: Any, **_: Any) -> Any:
        import requests
        from urllib3 import HTTPResponse

        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        headers = dict(request.headers)
        if self.sign_callback is not None and _CALLBACK_PATH.match(parts.path):
            headers.update(self.sign_callback(body))
        reply = self.http.request(request.method, path, headers=headers, body=body)
        response = requests.Response()
        response.status_code = reply.status_code
        response.headers.update(reply.headers)
        response.raw = HTTPResponse(
            headers=reply.headers, status=reply.status_code, version=11, preload_content=False
        )
        response._content = (
            reply.body if isinstance(reply.body, bytes) else str(reply.body or "").encode()
        )
        response.request = request
        response.url = request.url
        response.reason = ""
        return response

    def close(self) -> None:
        return None


def fuzz(
    http: Any,
    token: Callable[..., str],
    examples: int,
    seed: int,
    on_case: Callable[[], None] = lambda: None,
    world: FuzzWorld | None = None,
) -> Findings:
    """Run every operation `examples` times with generated path parameters and, when a world
    is given, its explicit cases and `examples` times with the world's; `on_case` runs before
    each request."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    world = world or FuzzWorld()
    schema = schemathesis.openapi.from_dict(served_document(http))
    session = requests.Session()
    session.mount(BASE_URL, _ChaliceAdapter(http, world.sign_callback))  # type: ignore[arg-type]
    findings = Findings()

    for result in schema.get_all_operations():
        operation = result.ok()
        caller = caller_for(operation.definition.raw)
        headers = {"Authorization": f"Bearer {token(caller[0], **caller[1])}"} if caller else {}
        send = _sender(operation, session, headers, checks, findings, on_case)
        for body in world.explicit_bodies.get((operation.method.upper(), operation.path), []):
            case = operation.Case(
                path_parameters=_real_path(operation, world),
                body=body,
                media_type="application/json",
            )
            send(case)
        strategies = [operation.as_strategy()]
        real_path = _real_path(operation, world)
        if real_path:
            strategies.append(operation.as_strategy(path_parameters=real_path))
        for strategy in strategies:
            run = given(case=strategy)(send)
            settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )(fixed_seed(seed)(run))()
    return findings


def _real_path(operation: Any, world: FuzzWorld) -> dict[str, str]:
    names = re.findall(r"\{(\w+)\}", operation.path)
    if not names or any(name not in world.path_values for name in names):
        return {}
    return {name: world.path_values[name] for name in names}


def _sender(
    operation: Any,
    session: Any,
    headers: dict[str, str],
    checks: list[Any],
    findings: Findings,
    on_case: Callable[[], None],
) -> Callable[[Any], None]:
    def send(case: Any) -> None:
        on_case()
        response = case.call(base_url=BASE_URL, session=session, headers=headers)
        findings.requests += 1
        key = f"{operation.method.upper()} {operation.path} {response.status_code}"
        findings.statuses[key] = findings.statuses.get(key, 0) + 1
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as failure:  # every failed check is a finding
            findings.failures.append(f"{operation.label}: {str(failure)[:800]}")

    return send


@contextmanager
def _local_stack() -> Iterator[Any]:
    from tests.stack import prepare_environment, running_stack

    prepare_environment()
    with running_stack() as stack:
        yield stack


def _world(stack: Any) -> FuzzWorld:
    from tests.security.world import build_world, fuzz_world

    return fuzz_world(build_world(stack))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="requests per route")
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with _local_stack() as stack:
        findings = fuzz(stack.http, stack.token, args.examples, args.seed, world=_world(stack))
    print(json.dumps(findings.statuses, indent=1, sort_keys=True))
    for failure in findings.failures:
        print("FAIL", failure)
    print(
        f"{findings.requests} requests, {len(findings.failures)} failures, "
        f"{time.monotonic() - started:.0f} s"
    )
    return 1 if findings.failures else 0


if __name__ == "__main__":
    sys.exit(main())
