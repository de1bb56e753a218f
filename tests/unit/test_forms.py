from datetime import date, timedelta

import pytest

from chalicelib.domain.forms import (
    RetroactiveLimitExceededError,
    catalogue,
    criterion_problems,
    parse_origin_criterion,
)
from chalicelib.domain.reference_numbers import format_reference

REQUIRED_FORMS = [
    "B",
    "D",
    "E",
    "AK",
    "VK",
    "AJ",
    "VJ",
    "AI",
    "AANZ",
    "AHK",
    "RCEP",
    "CPTPP",
    "EUR.1",
    "EUR.1 UK",
    "EAV",
]


def test_catalogue_holds_every_required_form():
    assert set(REQUIRED_FORMS) <= set(catalogue().codes())


@pytest.mark.parametrize(
    ("form", "country", "applies"),
    [
        ("B", "AE", True),
        ("B", "VN", False),
        ("D", "TH", True),
        ("D", "CN", False),
        ("E", "CN", True),
        ("VK", "KR", True),
        ("AANZ", "NZ", True),
        ("RCEP", "JP", True),
        ("CPTPP", "GB", True),
        ("EUR.1", "DE", True),
        ("EUR.1", "GB", False),
        ("EUR.1 UK", "GB", True),
        ("EAV", "RU", True),
    ],
)
def test_form_applies_to_its_agreements_importing_countries(form, country, applies):
    assert catalogue().form(form).applies_to(country) is applies


@pytest.mark.parametrize(
    ("form", "country", "party"),
    [
        ("B", "AE", "AE"),
        ("D", "TH", "TH"),
        ("D", "SG", "SG"),
        ("E", "CN", "CN"),
        ("VK", "KR", "KR"),
        ("AHK", "HK", "HK"),
        ("RCEP", "NZ", "NZ"),
        ("EAV", "RU", "RU"),
        ("EUR.1", "DE", "EU"),
        ("EUR.1", "FR", "EU"),
        ("EUR.1 UK", "GB", "UK"),
    ],
)
def test_importing_party_in_the_reference_number_comes_from_the_catalogue(form, country, party):
    assert catalogue().form(form).importing_party_code(country) == party


def test_every_form_gives_each_of_its_countries_a_printable_importing_party():
    for form in catalogue().forms:
        countries = ["AE", "US"] if form.importing_countries == "*" else form.importing_countries
        for country in countries:
            reference = format_reference(form.importing_party_code(country), 2026, "47", 1)
            assert str(reference).startswith("VN-"), (form.code, country)


@pytest.mark.parametrize(
    ("form", "days", "remark"),
    [
        ("D", 0, None),
        ("D", 3, None),
        ("D", 4, "issued_retroactively"),
        ("D", 365, "issued_retroactively"),
        ("AK", 7, None),
        ("AK", 8, "issued_retroactively"),
        ("EUR.1", 0, None),
        ("EUR.1", 1, "issued_retrospectively"),
        ("B", 400, None),
    ],
)
def test_retroactive_remark_follows_the_forms_rule(form, days, remark):
    departed = date(2026, 12, 2)

    found = catalogue().form(form).retroactive_remark(departed, departed + timedelta(days=days))

    assert found == remark


def test_form_d_cannot_be_issued_more_than_a_year_after_departure():
    departed = date(2026, 12, 2)

    with pytest.raises(RetroactiveLimitExceededError, match="365 days after departure"):
        catalogue().form("D").retroactive_remark(departed, departed + timedelta(days=366))


def test_only_forms_with_a_producer_box_print_one():
    assert catalogue().form("RCEP").producer_box.texts["same_as_exporter"] == "SAME"
    assert catalogue().form("D").producer_box is None


def test_line_field_rules_are_data():
    assert catalogue().form("D").line_field("fob_value") == "required"
    assert catalogue().form("VK").line_field("fob_value") == "with_rvc"
    assert catalogue().form("B").line_field("origin_criterion") == "not_applicable"


def test_rvc_below_the_forms_minimum_is_a_problem():
    problems = criterion_problems(catalogue().form("D"), parse_origin_criterion("RVC 35%"))

    assert problems == ["Form D requires a regional value content of at least 40%"]


def test_combined_criterion_is_read_part_by_part():
    parts = parse_origin_criterion("rvc 35% + ctsh")

    assert [str(p) for p in parts] == ["RVC 35%", "CTSH"]
    assert criterion_problems(catalogue().form("AI"), parts) == []


def test_unknown_criterion_names_the_allowed_ones():
    problems = criterion_problems(catalogue().form("E"), parse_origin_criterion("SP"))

    assert "SP is not an origin criterion of Form E" in problems[0]


def test_preferential_forms_require_an_origin_statement():
    for form in catalogue().forms:
        kinds = {a.kind for a in form.required_attachments}
        assert ("origin_statement" in kinds) is form.preferential, form.code
