import pytest

from chalicelib.domain.forms import catalogue, criterion_problems, parse_origin_criterion

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


def test_importing_party_code_is_the_importing_countrys_alpha2():
    assert catalogue().form("VK").importing_party_code("KR") == "KR"


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
