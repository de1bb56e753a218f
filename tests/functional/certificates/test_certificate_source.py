"""What the product prints, read from a dossier on its day of issue (dossier store faked)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain import dossiers as rules
from chalicelib.domain.departments import DepartmentState
from chalicelib.domain.dossiers import Exporter
from chalicelib.domain.forms import RetroactiveLimitExceededError, catalogue
from chalicelib.domain.registry import registry_unit
from chalicelib.services.certificate_source import DossierCertificateSource
from tests.unit.department_examples import full_details
from tools.samples import draft_body, load_sample

DEPARTURE = date(2026, 12, 2)  # the coffee sample's departure date
URL = "https://verify.coissuer.example.vn/verify/VN-TH-26-47-00001?code=abc"


class Dossiers:
    def __init__(self, *dossiers: Any) -> None:
        self._by_id = {d.id: d for d in dossiers}

    def get_dossier(self, dossier_id: str) -> Any:
        return self._by_id.get(dossier_id)


class Departments:
    def get(self, code: str) -> Any:
        return registry_unit(code).as_department().with_details(full_details()).model_copy(
            update={"state": DepartmentState.LIVE})  # fmt: skip


def dossier(form: str = "D", country: str = "TH", **changes: Any) -> Any:
    body = draft_body(load_sample("form-d-coffee-th.json"), "DAK-LAK")
    submitted_at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    draft = rules.new_draft(rules.DraftRequest.model_validate(body), "d1", "6001234567",
                            catalogue(), submitted_at)  # fmt: skip
    exporter = Exporter(tax_code="6001234567", name="Buon Ma Coffee JSC", name_vi="Cà phê BM",
                        address="Buon Ma Thuot, Dak Lak", signatory="Lê Văn Tâm")  # fmt: skip
    consignee = draft.consignee.model_copy(update={"country": country})
    return draft.model_copy(update={"form": form, "consignee": consignee,  # no content checks
                                    "exporter": exporter,
                                    "submitted_at": submitted_at, "derived_remarks": [],
                                    **changes})  # fmt: skip


def source(on: date, *dossiers: Any) -> DossierCertificateSource:
    moment = datetime(on.year, on.month, on.day, 3, 0, tzinfo=UTC)
    return DossierCertificateSource(Dossiers(*dossiers), Departments(), lambda: moment)


def test_form_d_rendered_more_than_three_days_after_departure_is_issued_retroactively():
    # Submitted the day after departure (no remark then), issued on day 6 after amendments.
    printed = source(DEPARTURE + timedelta(days=6), dossier()).certificate_content(
        "d1", "VN-TH 26/47/00001", URL)  # fmt: skip

    assert printed.issue_date == DEPARTURE + timedelta(days=6)
    assert printed.remarks.issued_retroactively is True


def test_form_d_rendered_within_three_days_of_departure_is_not_retroactive():
    printed = source(DEPARTURE + timedelta(days=3), dossier()).certificate_content(
        "d1", "VN-TH 26/47/00001", URL)  # fmt: skip

    assert printed.remarks.issued_retroactively is False


def test_a_submission_time_retroactive_remark_does_not_outlive_the_rule():
    stale = dossier(derived_remarks=["issued_retroactively"])

    printed = source(DEPARTURE + timedelta(days=1), stale).certificate_content(
        "d1", "VN-TH 26/47/00001", URL)  # fmt: skip

    assert printed.remarks.issued_retroactively is False


def test_form_d_beyond_one_year_after_departure_is_refused_before_numbering_and_printing():
    late = source(DEPARTURE + timedelta(days=366), dossier())

    with pytest.raises(RetroactiveLimitExceededError):
        late.allocation_request("d1")
    with pytest.raises(RetroactiveLimitExceededError):
        late.certificate_content("d1", "VN-TH 26/47/00001", URL)


@pytest.mark.parametrize(
    ("form", "country", "party"),
    [("D", "TH", "TH"), ("D", "MY", "MY"), ("EUR.1", "DE", "EU"), ("EUR.1", "NL", "EU"),
     ("EUR.1 UK", "GB", "UK")],
)  # fmt: skip
def test_reference_number_is_drawn_for_the_forms_importing_party(form, country, party):
    request = source(DEPARTURE, dossier(form, country)).allocation_request("d1")

    assert request.importing_party == party
    assert request.importing_country == country


@pytest.mark.parametrize(
    ("producer", "printed"),
    [
        ({"mode": "same_as_exporter"}, "SAME"),
        ({"mode": "not_available"}, "UNKNOWN"),
        ({"mode": "confidential"},
         "AVAILABLE TO THE COMPETENT AUTHORITIES OR AUTHORISED BODIES UPON REQUEST"),
        ({"mode": "named", "name": "Ea Tam Roastery", "address": "Krong Pac, Dak Lak"},
         "Ea Tam Roastery\nKrong Pac, Dak Lak"),
    ],
)  # fmt: skip
def test_rcep_prints_the_producer_box_from_the_dossier(producer, printed):
    rcep = dossier("RCEP", producer=rules.Producer.model_validate(producer))

    content = source(DEPARTURE, rcep).certificate_content("d1", "VN-TH 26/47/00001", URL)

    assert content.producer == printed


def test_a_form_without_a_producer_box_prints_no_producer():
    form_d = dossier("D", producer=rules.Producer(mode="same_as_exporter"))

    content = source(DEPARTURE, form_d).certificate_content("d1", "VN-TH 26/47/00001", URL)

    assert content.producer is None


def test_the_page_names_no_leader_before_one_approves_signing():
    content = source(DEPARTURE, dossier()).certificate_content("d1", "VN-TH 26/47/00001", URL)

    assert content.signer_name is None
    assert source(DEPARTURE, dossier()).signing_leader("d1") is None
    approved = source(DEPARTURE, dossier(signing_leader="Phạm Thu Hà"))
    assert approved.signing_leader("d1") == "Phạm Thu Hà"
