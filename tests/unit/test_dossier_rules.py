from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain import dossiers as rules
from chalicelib.domain.dossiers import DossierUpdate, GoodsLine, Status
from chalicelib.domain.errors import ConflictError, RuleViolationError, ValidationFailedError
from chalicelib.domain.forms import catalogue
from tools.samples import draft_body, draft_request, load_sample

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def draft(name="form-d-coffee-th.json", **changes):
    body = {**draft_body(load_sample(name), "DL"), **changes}
    return rules.new_draft(
        rules.DraftRequest.model_validate(body), "d1", "6002837411", catalogue(), NOW
    )


def pointers(caught):
    return [p.pointer for p in caught.value.problems]


def test_transition_records_who_when_from_to_and_bumps_version():
    dossier = draft()

    moved, event = rules.transition(dossier, Status.SUBMITTED, "exporter:6002837411", "ok", NOW)

    assert (moved.status, moved.version) == (Status.SUBMITTED, 2)
    assert (event.from_status, event.to_status, event.actor, event.at, event.seq) == (
        Status.DRAFT,
        Status.SUBMITTED,
        "exporter:6002837411",
        NOW,
        2,
    )


def test_repeated_or_backward_transition_is_refused():
    submitted, _ = rules.transition(draft(), Status.SUBMITTED, "a", "", NOW)

    with pytest.raises(ConflictError):
        rules.transition(submitted, Status.SUBMITTED, "a", "", NOW)
    with pytest.raises(ConflictError):
        rules.transition(submitted, Status.DRAFT, "a", "", NOW)


def test_needs_attention_remembers_and_returns_to_the_state_it_came_from():
    submitted, _ = rules.transition(draft(), Status.SUBMITTED, "a", "", NOW)
    stuck, _ = rules.transition(submitted, Status.NEEDS_ATTENTION, "wf", "boom", NOW)

    assert stuck.attention_from == Status.SUBMITTED
    resumed, _ = rules.transition(stuck, Status.SUBMITTED, "ops", "retry", NOW)
    assert resumed.attention_from is None
    with pytest.raises(ConflictError):
        rules.transition(stuck, Status.PAID, "ops", "", NOW)


def test_draft_cannot_need_attention_and_issued_only_cancels_or_replaces():
    assert Status.NEEDS_ATTENTION not in rules.allowed_next(Status.DRAFT)
    assert rules.allowed_next(Status.ISSUED) == {Status.CANCELLED, Status.REPLACED}
    assert rules.allowed_next(Status.WITHDRAWN) == frozenset()


def test_form_d_requires_fob_per_line_with_its_pointer():
    dossier = draft()
    no_fob = dossier.lines[0].model_copy(update={"fob_value": None})

    problems = rules.completeness_problems(
        dossier.model_copy(update={"lines": [no_fob]}), catalogue()
    )

    assert [p.pointer for p in problems] == ["/lines/0/fob_value"]


def test_form_vk_requires_fob_only_on_rvc_lines():
    form = catalogue().form("VK")
    line = draft().lines[0].model_copy(update={"fob_value": None, "origin_criterion": "WO"})
    rvc_line = line.model_copy(update={"origin_criterion": "RVC 40%"})

    assert rules._missing_line_fields(form, line, 0) == []
    assert [p.pointer for p in rules._missing_line_fields(form, rvc_line, 1)] == [
        "/lines/1/fob_value"
    ]
    assert "fob_value" not in rules.printed_line_fields(form, line)
    assert "fob_value" in rules.printed_line_fields(form, rvc_line)


def test_country_outside_the_forms_agreement_is_refused_with_pointer():
    body = draft_body(load_sample("form-d-coffee-th.json"), "DL")
    body["consignee"] = {**body["consignee"], "country": "CN"}

    with pytest.raises(ValidationFailedError) as caught:
        rules.new_draft(
            rules.DraftRequest.model_validate(body), "d", "6002837411", catalogue(), NOW
        )

    assert pointers(caught) == ["/consignee/country"]


def test_criterion_not_allowed_by_form_is_refused_per_line():
    with pytest.raises(ValidationFailedError) as caught:
        draft(
            "form-b-cashew-ae.json",
            lines=[
                {
                    **draft_body(load_sample("form-b-cashew-ae.json"), "X")["lines"][0],
                    "origin_criterion": "WO",
                }
            ],
        )

    assert pointers(caught) == ["/lines/0/origin_criterion"]


def test_hs_code_needs_six_digits():
    line = draft_body(load_sample("form-d-coffee-th.json"), "DL")["lines"][0]

    with pytest.raises(ValueError, match="at least 6 digits"):
        GoodsLine.model_validate({**line, "hs_code": "0901"})
    assert GoodsLine.model_validate(line).hs_code == "090111"


def test_exporter_cannot_type_a_derived_remark():
    with pytest.raises(ValidationFailedError) as caught:
        draft(remarks=["issued_retroactively"])

    assert pointers(caught) == ["/remarks/0"]


@pytest.mark.parametrize(
    ("days", "remarks"), [(3, []), (4, ["issued_retroactively"]), (365, ["issued_retroactively"])]
)
def test_form_d_retroactive_issuance_is_derived_from_departure(days, remarks):
    dossier = draft()
    departed = dossier.transport.departure_date

    derived = rules.derived_remarks(dossier, catalogue().form("D"), departed + timedelta(days=days))

    assert derived == remarks


def test_form_d_more_than_a_year_after_departure_is_refused():
    dossier = draft()

    with pytest.raises(RuleViolationError, match="more than 365 days after departure"):
        rules.derived_remarks(dossier, catalogue().form("D"), date(2027, 12, 3))


def test_third_country_invoicing_remark_follows_the_invoicing_box():
    dossier = rules.new_draft(
        draft_request(load_sample("form-e-footwear-cn.json"), "HP"),
        "e",
        "0201186756",
        catalogue(),
        NOW,
    )

    assert rules.derived_remarks(dossier, catalogue().form("E"), date(2026, 12, 3)) == [
        "third_country_invoicing"
    ]


def test_only_a_draft_can_be_updated():
    submitted, _ = rules.transition(draft(), Status.SUBMITTED, "a", "", NOW)

    with pytest.raises(ConflictError):
        rules.apply_update(submitted, DossierUpdate(remarks=["exhibition"]), catalogue(), NOW)


def test_update_changes_only_the_fields_sent():
    dossier = draft()

    changed = rules.apply_update(dossier, DossierUpdate(remarks=["exhibition"]), catalogue(), NOW)

    assert changed.remarks == ["exhibition"]
    assert changed.lines == dossier.lines
    assert changed.version == dossier.version + 1


def test_clone_is_a_new_draft_without_attachments():
    submitted, _ = rules.transition(draft(), Status.SUBMITTED, "a", "", NOW)

    copy = rules.clone(submitted, "d2", catalogue(), NOW)

    assert (copy.id, copy.status, copy.version, copy.cloned_from) == ("d2", Status.DRAFT, 1, "d1")
    assert copy.lines == submitted.lines and copy.attachments == []


def test_deferring_a_non_deferrable_attachment_is_refused():
    with pytest.raises(ValidationFailedError) as caught:
        draft(deferred_attachments=["commercial_invoice"])

    assert pointers(caught) == ["/deferred_attachments/0"]
