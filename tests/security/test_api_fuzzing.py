"""The API against its own OpenAPI document: generated requests to every route, fixed seed.

A few examples per route here; `python -m tools.fuzz --examples N` runs a longer campaign.
"""

from __future__ import annotations

from tests.stack import Stack
from tools.fuzz import fuzz, served_document

EXAMPLES = 5
SEED = 20261203


def test_the_served_document_describes_every_route(stack: Stack) -> None:
    from chalicelib.handlers.api.routing import ROUTES

    document = served_document(stack.http)

    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert described == {(route.method, route.path) for route in ROUTES}


def test_generated_requests_get_no_5xx_and_only_documented_answers(stack: Stack) -> None:
    findings = fuzz(stack.http, stack.token, EXAMPLES, SEED)

    assert findings.requests >= EXAMPLES * 20
    assert findings.failures == []
