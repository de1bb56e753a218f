"""An amendment comment points at a field of the dossier or at a document kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.amendments import ensure_targets_exist
from chalicelib.domain.dossiers import AmendmentComment, Dossier
from chalicelib.domain.errors import ValidationFailedError
from tools.samples import draft_body, load_sample

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def coffee_dossier() -> Dossier:
    body = draft_body(load_sample("form-d-coffee-th.json"), "DAK-LAK")
    return Dossier.model_validate(
        {**body, "id": "d-1", "trader_tax_code": "6002837411", "created_at": NOW, "updated_at": NOW}
    )


def comment(target: str) -> AmendmentComment:
    return AmendmentComment(target=target, comment="Please correct this")


@pytest.mark.parametrize(
    "target",
    ["/consignee/name", "/lines/0/hs_code", "/invoice", "/producer", "transport_document"],
)
def test_a_comment_on_a_field_or_document_is_accepted(target: str) -> None:
    ensure_targets_exist(coffee_dossier(), [comment(target)])


@pytest.mark.parametrize(
    "target",
    ["consignee name", "/consignee/nickname", "/lines/7/hs_code", "/lines/01/hs_code", "/", "cv"],
)
def test_a_comment_on_nothing_is_refused_with_its_place(target: str) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        ensure_targets_exist(coffee_dossier(), [comment("/consignee/name"), comment(target)])

    assert [problem.pointer for problem in refused.value.problems] == ["/comments/1/target"]
    assert target in refused.value.problems[0].message
