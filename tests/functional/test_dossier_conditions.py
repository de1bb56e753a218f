"""Every dossier transition is a conditional write on its status and version."""

from __future__ import annotations

import pytest

from chalicelib.domain.dossiers import Status, transition
from chalicelib.domain.errors import StaleVersionError
from chalicelib.wiring import container
from tests.functional.exporter_api import ready_draft
from tests.stack import Stack


def test_a_write_based_on_a_stale_status_is_refused(stack: Stack) -> None:
    # given a draft, and a move computed as if it were already submitted
    _, dossier_id = ready_draft(stack)
    store = container().dossier_store
    draft = store.get_dossier(dossier_id)
    believed = draft.model_copy(update={"status": Status.SUBMITTED})
    moved, event = transition(believed, Status.AWAITING_PAYMENT, "test", "stale", stack.clock())

    # when it is saved at the right version but from the wrong status
    with pytest.raises(StaleVersionError):
        store.save_dossier(moved, draft.version, [event], expected_status=Status.SUBMITTED)

    # then nothing changed
    kept, history = store.get_dossier_with_history(dossier_id)
    assert (kept.status, kept.version) == (Status.DRAFT, draft.version)
    assert [e.to_status for e in history] == [Status.DRAFT]


def test_a_write_from_the_status_it_read_goes_through(stack: Stack) -> None:
    _, dossier_id = ready_draft(stack)
    store = container().dossier_store
    draft = store.get_dossier(dossier_id)
    moved, event = transition(draft, Status.WITHDRAWN, "test", "withdrawn", stack.clock())

    store.save_dossier(moved, draft.version, [event], expected_status=Status.DRAFT)

    assert store.get_dossier(dossier_id).status == Status.WITHDRAWN
