"""Every route times every kind of caller, from the route table.

Each cell states the status the caller must get. Codes: `2` any success, a number that exact
status, `4` any 4xx other than 401 and 403 (an admitted caller whose made-up input is refused
or not found). A route that Chalice serves or the route table declares without a row here
fails `test_every_route_has_a_declared_expectation`; a cell that answers otherwise fails the
matrix. The certificate download is asked of a dossier the real state machine has issued, so
its owner's 200 stands apart from everyone else's 404.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

import app
from chalicelib.domain.dossiers import Status
from chalicelib.domain.identity import Role
from chalicelib.handlers.api.routing import ROUTES
from tests.security.world import (
    BANK,
    CALLERS,
    DEPARTMENT,
    TRADER,
    Lifecycle,
    World,
    build_world,
)

# Caller order: anonymous, exporter_other, exporter, specialist_other, leader_other,
# specialist, leader, operations, auditor, bank_wrong.
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/health"): "2 2 2 2 2 2 2 2 2 2",
    ("GET", "/directory"): "2 2 2 2 2 2 2 2 2 2",
    ("POST", "/traders"): "401 4 4 403 403 403 403 403 403 401",
    ("GET", "/traders/{tax_code}"): "401 4 4 403 403 403 403 403 403 401",
    ("PUT", "/traders/{tax_code}"): "401 4 4 403 403 403 403 403 403 401",
    ("POST", "/dossiers"): "401 4 4 403 403 403 403 403 403 401",
    ("GET", "/dossiers"): "401 2 2 403 403 403 403 403 403 401",
    ("GET", "/dossiers/{dossier_id}"): "401 404 2 4 4 2 2 2 2 401",
    ("PATCH", "/dossiers/{dossier_id}"): "401 404 4 403 403 403 403 403 403 401",
    ("POST", "/dossiers/{dossier_id}/lines"): "401 4 4 403 403 403 403 403 403 401",
    ("POST", "/dossiers/{dossier_id}/lines/csv"): "401 4 4 403 403 403 403 403 403 401",
    ("POST", "/dossiers/{dossier_id}/clone"): "401 404 4 403 403 403 403 403 403 401",
    ("POST", "/dossiers/{dossier_id}/attachments"): "401 4 4 403 403 403 403 403 403 401",
    ("POST", "/dossiers/{dossier_id}/submit"): "401 404 4 403 403 403 403 403 403 401",
    ("POST", "/dossiers/{dossier_id}/withdraw"): "401 404 2 403 403 403 403 403 403 401",
    ("GET", "/openapi.json"): "2 2 2 2 2 2 2 2 2 2",
    ("GET", "/docs"): "2 2 2 2 2 2 2 2 2 2",
    ("POST", "/bank/{bank}/callbacks"): "401 401 401 401 401 401 401 401 401 401",
    ("GET", "/operations/departments"): "401 403 403 403 403 403 403 2 2 401",
    ("POST", "/operations/registry/seed"): "401 403 403 403 403 403 403 2 403 401",
    ("PUT", "/operations/departments/{code}"): "401 403 403 403 403 403 403 2 403 401",
    ("GET", "/operations/departments/{code}"): "401 403 403 403 403 403 403 4 4 401",
    ("PUT", "/operations/departments/{code}/gates/{gate}"): (
        "401 403 403 403 403 403 403 422 403 401"
    ),
    ("POST", "/operations/departments/{code}/moves"): "401 403 403 403 403 403 403 422 403 401",
    ("GET", "/operations/departments/{code}/history"): "401 403 403 403 403 403 403 4 4 401",
    ("GET", "/dossiers/{dossier_id}/payment"): "401 404 2 404 404 2 2 2 2 401",
    ("GET", "/operations/payments/suspense"): "401 403 403 403 403 403 403 4 4 401",
    ("GET", "/operations/fees"): "401 403 403 403 403 403 403 2 2 401",
    ("PUT", "/operations/fees/{kind}/{effective_from}"): "401 403 403 403 403 403 403 422 403 401",
    ("POST", "/operations/payments/suspense/{bank}/{txn_id}/assignment"): (
        "401 403 403 403 403 403 403 422 403 401"
    ),
    ("GET", "/dossiers/{dossier_id}/receipt"): "401 404 404 403 403 403 403 403 403 401",
    ("POST", "/receipts/{form_number}/{series}/{number}/replacement"): (
        "401 403 403 403 403 403 403 422 403 401"
    ),
    ("POST", "/receipts/{form_number}/{series}/{number}/cancellation"): (
        "401 403 403 403 403 403 403 422 403 401"
    ),
    ("GET", "/receipts/{form_number}/{series}/usage"): "401 403 403 403 403 403 403 4 4 401",
    ("GET", "/operations/reconciliation/{department}/alerts"): (
        "401 403 403 403 403 403 403 2 2 401"
    ),
    ("GET", "/operations/reconciliation/{department}/{day}"): "401 403 403 403 403 403 403 2 2 401",
    ("GET", "/operations/reconciliation/{department}/{day}/report"): (
        "401 403 403 403 403 403 403 4 4 401"
    ),
    ("GET", "/review/queue"): "401 403 403 2 2 2 2 4 4 401",
    ("POST", "/review/dossiers/{dossier_id}/claim"): "401 403 403 403 403 409 403 403 403 401",
    ("POST", "/review/dossiers/{dossier_id}/decision"): "401 403 403 403 403 409 403 403 403 401",
    ("POST", "/dossiers/{dossier_id}/resubmission"): "401 404 409 403 403 403 403 403 403 401",
    ("GET", "/dossiers/{dossier_id}/certificate"): "401 404 2 404 404 2 2 2 2 401",
    ("GET", "/signing/queue"): "401 403 403 2 2 2 2 4 4 401",
    ("POST", "/signing/dossiers/{dossier_id}/approval"): "401 403 403 403 403 403 409 403 403 401",
    ("GET", "/operations/attention"): "401 403 403 403 403 403 403 4 4 401",
    ("POST", "/operations/dossiers/{dossier_id}/retry"): "401 403 403 403 403 403 403 409 403 401",
    ("GET", "/verify/{reference}"): "4 4 4 4 4 4 4 4 4 4",
    ("POST", "/verify/hash"): "422 422 422 422 422 422 422 422 422 422",
}

PARAMETER_VALUES = {
    "bank": BANK,
    "code": DEPARTMENT,
    "department": DEPARTMENT,
    "gate": "legal_basis",
    "txn_id": "FT-NO-SUCH-TXN",
    "form_number": "1",
    "series": "C26TAA",
    "number": "0000001",
    "day": "2026-12-03",
    "reference": "DL-2026-NO-SUCH",
    "tax_code": TRADER,
    "kind": "issuance",
    "effective_from": "2030-01-01",
}


# Routes asked with a body their admitted callers would send; the rest send `{}`.
BODIES = {
    ("POST", "/review/dossiers/{dossier_id}/decision"): b'{"decision": "approve"}',
}

# Asked of a dossier the state machine has taken to `issued`, not of the world's dossier.
ISSUED_DOSSIER_ROUTES = {("GET", "/dossiers/{dossier_id}/certificate")}


def test_every_route_has_a_declared_expectation() -> None:
    declared = set(EXPECTED)
    routed = {(route.method, route.path) for route in ROUTES}
    served = {(method, path) for path, methods in app.app.routes.items() for method in methods}

    assert routed - declared == set(), "routes without an expectation"
    assert declared - routed == set(), "expectations for routes that do not exist"
    assert served - declared == set(), "routes Chalice serves without an expectation"
    assert declared - served == set(), "expectations for routes Chalice does not serve"
    assert all(len(row.split()) == len(CALLERS) for row in EXPECTED.values())


def test_the_auditor_reads_every_route_operations_reads() -> None:
    reads = [route for route in ROUTES if route.method == "GET"]

    refused = [
        f"{route.method} {route.path}"
        for route in reads
        if route.access.admits(Role.OPERATIONS) and not route.access.admits(Role.AUDITOR)
    ]
    writes_for_auditor = [
        f"{route.method} {route.path}"
        for route in ROUTES
        if route.method != "GET" and route.access.admits(Role.AUDITOR) and not route.access.public
    ]

    assert refused == []
    assert writes_for_auditor == []


def request_path(path: str, world: World) -> str:
    values = {**PARAMETER_VALUES, "dossier_id": world.dossier_id}
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def matches(expected: str, status: int) -> bool:
    if expected == "2":
        return 200 <= status < 300
    if expected == "4":
        return 400 <= status < 500 and status not in (401, 403)
    return status == int(expected)


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_each_caller_gets_the_declared_status(stack, route) -> None:
    world = build_world(stack)
    if (route.method, route.path) in ISSUED_DOSSIER_ROUTES:
        issued = Lifecycle(stack)
        assert issued.issue().status is Status.ISSUED
        world = replace(world, dossier_id=issued.dossier_id)
    path = request_path(route.path, world)
    expected_row = EXPECTED[(route.method, route.path)].split()
    default_body = b"{}" if route.body is not None or route.access.bank else b""
    body = BODIES.get((route.method, route.path), default_body)

    observed = {}
    for caller in CALLERS:
        headers = world.headers(caller) | {"Content-Type": route.content_types[0]}
        response = stack.http.request(route.method, path, headers=headers, body=body)
        observed[caller] = response.status_code

    assert all(status < 500 for status in observed.values()), observed
    mismatches = {
        caller: (expected, observed[caller])
        for caller, expected in zip(CALLERS, expected_row, strict=True)
        if not matches(expected, observed[caller])
    }
    assert mismatches == {}, f"expected vs observed: {mismatches}"
