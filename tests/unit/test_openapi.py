import json

import app  # noqa: F401  (registers every blueprint, so ROUTES is complete)
from chalicelib.domain.traders import register
from chalicelib.handlers.api.exporter import TraderView
from chalicelib.handlers.api.openapi import api_page, openapi_document
from chalicelib.handlers.api.routing import ROUTES
from tests.functional.dossier_stack import SAMPLE_DAY
from tools.samples import load_sample, registration


def document():
    return openapi_document(ROUTES, "coissuer", "0.1.0")


def test_document_is_openapi_31_with_every_route_and_json_serialisable():
    doc = document()

    assert doc["openapi"] == "3.1.0"
    assert sum(len(ops) for ops in doc["paths"].values()) == len(ROUTES)
    assert {"/health", "/openapi.json", "/docs", "/dossiers/{dossier_id}/submit"} <= set(
        doc["paths"]
    )
    json.dumps(doc)


def test_request_schemas_come_from_the_validating_models_and_forbid_unknown_fields():
    doc = document()
    schemas = doc["components"]["schemas"]

    body = doc["paths"]["/dossiers"]["post"]["requestBody"]
    name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert name.startswith("DraftRequest")
    assert schemas[name]["additionalProperties"] is False
    line = next(schema for key, schema in schemas.items() if key.startswith("GoodsLine"))
    assert line["properties"]["description"]["maxLength"] == 1000


def test_every_ref_points_at_a_component():
    doc = document()
    text = json.dumps(doc)
    names = {ref.split('"')[0] for ref in text.split('"#/components/schemas/')[1:]}

    assert names <= set(doc["components"]["schemas"])


def test_creating_routes_declare_the_idempotency_key_and_roles():
    create = document()["paths"]["/dossiers"]["post"]

    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert create["x-roles"] == ["exporter"]
    assert create["security"] == [{"bearer": []}]


def test_listing_declares_its_query_parameters_and_the_csv_import_its_media_type():
    doc = document()

    listing = doc["paths"]["/dossiers"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"limit", "cursor", "status", "form"}
    csv_body = doc["paths"]["/dossiers/{dossier_id}/lines/csv"]["post"]["requestBody"]
    assert list(csv_body["content"]) == ["text/csv"]


def test_public_routes_need_no_token():
    health = document()["paths"]["/health"]["get"]

    assert "security" not in health
    assert health["x-roles"] == []


def test_api_page_lists_each_route():
    page = api_page(document())

    assert page.count("<tr><td>") == len(ROUTES)
    assert "/dossiers/{dossier_id}/submit" in page


def test_trader_view_matches_the_profiles_public_view():
    profile = register(
        registration(load_sample("form-b-cashew-ae.json")), SAMPLE_DAY.date(), SAMPLE_DAY
    )

    view = TraderView.model_validate(profile.public_view())

    assert view.renewal_due_on.year == 2028
