from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.stack import (
    Stack,
    fresh_test_view,
    prepare_environment,
    running_stack,
    shared_stack_session,
)

prepare_environment()


@pytest.fixture(scope="session")
def _shared_stack() -> Iterator[tuple[Stack, set[str]]]:
    with shared_stack_session() as shared:
        yield shared


@pytest.fixture
def stack(_shared_stack: tuple[Stack, set[str]]) -> Iterator[Stack]:
    """The local stack, empty at the start of each test (one per test worker)."""
    shared, baseline_secrets = _shared_stack
    with fresh_test_view(shared, baseline_secrets) as view:
        yield view


@pytest.fixture
def pristine_stack() -> Iterator[Stack]:
    """A stack of its own, for tests that change resources themselves."""
    with running_stack() as running:
        yield running


# moto's ASL interpreter logs every failed state with its whole parse tree; the tests read
# failures from the execution history instead.
logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
