from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stack import Stack, prepare_environment, running_stack

prepare_environment()


@pytest.fixture
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running
