from tools.api_docs import API_DOC, BEGIN, END, render, routes, updated_page


def test_the_api_page_names_every_declared_route():
    page = API_DOC.read_text("utf-8")

    missing = [
        f"{spec.method} {spec.path}"
        for spec in routes()
        if f"#### `{spec.method} {spec.path}`" not in page
    ]

    assert len(routes()) > 40
    assert missing == [], "run python -m tools.api_docs"


def test_the_route_reference_is_what_the_route_table_gives():
    page = API_DOC.read_text("utf-8")

    assert updated_page(page, render(routes())) == page, "run python -m tools.api_docs"


def test_regenerating_keeps_the_hand_written_guide_around_the_reference():
    page = "# Guide\n\nwritten by hand\n"

    once = updated_page(page, render(routes()))
    twice = updated_page(once + "\n## After\n", render(routes()))

    assert once.startswith(page) and BEGIN in once and once.endswith(END + "\n")
    assert twice.startswith(page) and twice.endswith("## After\n")
    assert twice.count(BEGIN) == 1


def test_every_route_has_a_curl_example_with_the_token_its_callers_use():
    reference = render(routes())

    for spec in routes():
        section = reference.split(f"#### `{spec.method} {spec.path}`", 1)[1].split("#### ")[0]
        assert f"curl -s -X {spec.method}" in section
        assert ("Authorization: Bearer" in section) == (
            not spec.access.public and not spec.access.bank
        )
