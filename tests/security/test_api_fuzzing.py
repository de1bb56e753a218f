"""The API against its own OpenAPI document: generated requests to every route, fixed seed.

A few examples per route, with generated path parameters and with the world's real ones;
`python -m tools.fuzz --examples N` runs a longer campaign.
"""

from __future__ import annotations

from tests.security.world import build_world, fuzz_world
from tests.stack import Stack
from tools.fuzz import fuzz, served_document

EXAMPLES = 3
SEED = 20261203

# Routes whose happy path the generated and explicit requests must reach at least once.
CORE_ROUTES = {
    "GET /health",
    "GET /directory",
    "POST /traders",
    "GET /dossiers",
    "GET /dossiers/{dossier_id}",
    "GET /dossiers/{dossier_id}/payment",
    "POST /bank/{bank}/callbacks",
    "GET /review/queue",
    "GET /operations/departments",
    "GET /operations/departments/{code}",
}


def test_the_served_document_describes_every_route(stack: Stack) -> None:
    from chalicelib.handlers.api.routing import ROUTES

    document = served_document(stack.http)

    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert described == {(route.method, route.path) for route in ROUTES}


def test_generated_requests_reach_every_route_get_no_5xx_and_only_documented_answers(
    stack: Stack,
) -> None:
    world = fuzz_world(build_world(stack))
    document = served_document(stack.http)
    operations = {f"{m.upper()} {p}" for p, ops in document["paths"].items() for m in ops}

    findings = fuzz(stack.http, stack.token, EXAMPLES, SEED, world=world)

    assert findings.failures == []
    assert operations - findings.exercised() == set(), "operations never requested"
    assert CORE_ROUTES - findings.succeeded() == set(), "core routes that never answered 2xx"
