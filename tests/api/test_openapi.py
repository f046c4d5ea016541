"""The OpenAPI 3 schema at /api/schema/ and its docs at /api/docs/ (API.md is the outline)."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

# API.md's REST tables: every path with its methods, as the schema names them.
API_MD_OPERATIONS = {
    "/api/v1/auth/token/": {"post"},
    # residents
    "/api/v1/categories/": {"get"},
    "/api/v1/issues/": {"get", "post"},
    "/api/v1/track/{access_token}/": {"get"},
    "/api/v1/track/{access_token}/feedback/": {"post"},
    "/api/v1/track/{access_token}/reopen/": {"post"},
    # agency staff
    "/api/v1/issues/{id}/": {"get"},
    "/api/v1/issues/{id}/handoffs/": {"get"},
    "/api/v1/assignments/": {"get"},
    "/api/v1/assignments/{id}/accept/": {"post"},
    "/api/v1/assignments/{id}/bounce/": {"post"},
    "/api/v1/assignments/{id}/transfer/": {"post"},
    "/api/v1/assignments/{id}/cohandle/": {"post"},
    "/api/v1/assignments/{id}/whistle/": {"post"},
    "/api/v1/assignments/{id}/extension/": {"post"},
    "/api/v1/assignments/{id}/reply/": {"post"},
    "/api/v1/assignments/{id}/resolve/": {"post"},
    # dispatchers
    "/api/v1/dispatch/queue/": {"get"},
    "/api/v1/issues/{id}/dispatch/": {"post"},
    "/api/v1/coordination-requests/": {"get"},
    "/api/v1/coordination-requests/{id}/approve/": {"post"},
    "/api/v1/coordination-requests/{id}/reject/": {"post"},
    "/api/v1/issues/{id}/escalate/": {"post"},
    "/api/v1/issues/{id}/merge/": {"post"},
    # administrators
    "/api/v1/agencies/": {"get"},
    "/api/v1/rulesets/": {"get"},
    "/api/v1/rulesets/{id}/publish/": {"post"},
    "/api/v1/rulesets/{id}/simulate/": {"post"},
    "/api/v1/stats/agencies/": {"get"},
}

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return json.loads(response.content)


def test_schema_is_yaml_by_default(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Qinghe City 12345 API"


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on a document that breaks the OpenAPI 3 JSON Schema


def test_schema_generates_without_errors_or_warnings(tmp_path):
    # --fail-on-warn raises on any warning or error found while generating the schema.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


def test_schema_info_states_the_api_rules(schema):
    info = schema["info"]
    with (settings.BASE_DIR / "pyproject.toml").open("rb") as pyproject:
        assert info["version"] == tomllib.load(pyproject)["project"]["version"]
    assert "404" in info["description"]
    assert "detail" in info["description"]


@pytest.mark.parametrize(("path", "methods"), sorted(API_MD_OPERATIONS.items()))
def test_every_api_md_endpoint_is_described(schema, path, methods):
    assert path in schema["paths"], f"{path} is missing from the schema"
    described = set(schema["paths"][path]) & HTTP_METHODS
    assert methods <= described, f"{path}: {sorted(methods - described)} missing"


def test_object_endpoints_describe_404_and_actions_describe_400(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS or path == "/api/v1/auth/token/":
                continue
            codes = set(operation["responses"])
            if "{" in path:
                assert "404" in codes, f"{method.upper()} {path} does not describe 404"
            if method == "post":
                assert "400" in codes, f"{method.upper()} {path} does not describe 400"


def test_docs_page_uses_only_local_static(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"https?://", html), "the docs page refers to another site"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert all(asset.startswith("/static/") for asset in assets), assets


def _operations(schema: dict) -> dict[str, dict]:
    return {
        operation["operationId"]: operation
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_links_chain_create_to_act_and_name_real_operations_and_parameters(schema):
    """OpenAPI links (``coordination.api.links``) let clients and Schemathesis' stateful
    phase feed one answer's ids into the next request."""
    operations = _operations(schema)
    links = {
        (source, status, name): link
        for source, operation in operations.items()
        for status, response in operation["responses"].items()
        for name, link in response.get("links", {}).items()
    }
    for (source, _status, name), link in links.items():
        target = operations[link["operationId"]]
        names = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) <= names, (source, name)
        for expression in link["parameters"].values():
            assert expression.startswith(("$response.body#/", "$request.path.")), expression
    targets = {(s, link["operationId"]) for (s, _status, _n), link in links.items()}
    # Filing leads to the dispatcher's acts and the resident's tracking link;
    assert ("issues_create", "issues_dispatch_create") in targets
    assert ("issues_create", "track_reopen_create") in targets
    # the queue to staff's acts; a staff's request to the dispatcher's decision.
    assert ("assignments_list", "assignments_accept_create") in targets
    assert ("assignments_accept_create", "assignments_resolve_create") in targets
    assert ("assignments_bounce_create", "coordination_requests_approve_create") in targets
    # Every operation with a path parameter can be reached from some answer.
    reachable = {target for _source, target in targets}
    for operation_id, operation in operations.items():
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert operation_id in reachable, f"no link leads to {operation_id}"


def test_the_hot_rooms_answers_are_described_as_they_are(schema):
    """Schemathesis found these: the hot-issue list is a page (count, next, previous,
    results), and a warning of a hot issue has no area or category (one of an area has no
    hot issue), a milestone of the whole topic no organisation: null, and said so."""
    answer = schema["paths"]["/api/v1/hot/issues/"]["get"]["responses"]["200"]
    page = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"count", "next", "previous", "results"} <= set(
        schema["components"]["schemas"][page]["properties"]
    )
    components = schema["components"]["schemas"]
    for name, fields in (
        ("Warning", ("area", "category", "hot_issue")),
        ("Milestone", ("agency",)),
    ):
        for field in fields:
            assert components[name]["properties"][field].get("nullable") is True, (name, field)
