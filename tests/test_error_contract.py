"""One error contract: every error answer of the API is ``ErrorOut`` naming the field, the schema says so,
and only ``evalhub/api.py`` turns exceptions into HTTP."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from django.test import Client

from evalhub.core.models import ApiKeyScope, Role
from evalhub.core.schemas import ErrorOut
from evalhub.core.services import api_key_create
from experiments.abtests import services as abtests_services
from tests.abtests.factories import register, two_arms
from tests.factories import UserFactory, VariantFactory
from tests.judging.factories import active_campaign

ROOT = Path(__file__).resolve().parent.parent
ERROR_OUT = "#/components/schemas/ErrorOut"
FIELD_ERROR_OUT = "#/components/schemas/FieldErrorOut"


# ---------------------------------------------------------------- the schema


@pytest.fixture(scope="module")
def openapi() -> dict:
    from evalhub.api import api

    return api.get_openapi_schema()


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    return _resolve(schema, schema["components"]["schemas"][ref.rsplit("/", 1)[1]]) if ref else node


def _is_error_out(schema: dict, node: dict) -> bool:
    """``ErrorOut`` itself, or a schema extending it (a refused vote adds the stored ``vote``)."""
    if node.get("$ref") == ERROR_OUT:
        return True
    resolved = _resolve(schema, node)
    errors = resolved.get("properties", {}).get("errors", {})
    return ({"detail", "errors"} <= set(resolved.get("required", []))
            and errors.get("items", {}).get("$ref") == FIELD_ERROR_OUT)


def test_error_out_is_one_schema_with_field_errors(openapi):
    components = openapi["components"]["schemas"]
    assert set(components["ErrorOut"]["required"]) == {"detail", "errors"}
    assert components["ErrorOut"]["properties"]["errors"]["items"] == {"$ref": FIELD_ERROR_OUT}
    assert set(components["FieldErrorOut"]["required"]) == {"field", "message"}
    assert not [name for name in components if name != "ErrorOut" and name.endswith(("ErrorOut", "BadRequestOut"))
                and name != "FieldErrorOut"]


def test_every_operation_documents_its_4xx_answers_as_error_out(openapi):
    undocumented, wrong = [], []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            codes = {str(code) for code in operation["responses"]}
            if "400" not in codes:
                undocumented.append(f"{method.upper()} {path}")
            for code, response in operation["responses"].items():
                if not str(code).startswith("4"):
                    continue
                body = response.get("content", {}).get("application/json", {}).get("schema", {})
                if not _is_error_out(openapi, body):
                    wrong.append(f"{method.upper()} {path} {code}")
    assert undocumented == []
    assert wrong == []


def test_operations_with_auth_document_401_and_403(openapi):
    missing = [f"{method.upper()} {path}" for path, operations in openapi["paths"].items()
               for method, operation in operations.items()
               if operation.get("security") and not {"401", "403"} <= {str(c) for c in operation["responses"]}]
    assert missing == []


# ---------------------------------------------------------------- the answers, router by router


def assert_error(response, status: int, field: str | None) -> dict:
    """The answer is ``status`` with the one error shape, and its first error names ``field``."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    ErrorOut.model_validate(body)  # detail, and at least one {field, message}
    assert body["errors"][0]["field"] == field, body
    assert body["errors"][0]["message"]
    return body


def _key_client(scope: str) -> Client:
    _, raw = api_key_create(owner=UserFactory(role=Role.ENGINEER), name=f"contract-{scope}", scopes=[scope])
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _post(client: Client, url: str, payload: dict, method: str = "post"):
    return getattr(client, method)(url, json.dumps(payload), content_type="application/json")


@pytest.mark.django_db
def test_core(client, engineer_client, viewer_client):
    assert_error(client.get("/api/v1/variants"), 401, None)
    payload = {"slug": "v1", "name": "V", "family": "f", "base_model": "b", "parameter_count": 0}
    assert_error(_post(engineer_client, "/api/v1/variants", payload), 400, "body.payload.parameter_count")
    assert_error(_post(viewer_client, "/api/v1/variants", dict(payload, parameter_count=7)), 403, None)


@pytest.mark.django_db
def test_judging(engineer_client, reviewer_client, viewer_client):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1)
    slugs = sorted(v.slug for v in campaign.variants.all())
    assert_error(engineer_client.get("/api/v1/judging/campaigns/nope"), 404, "slug")
    assert_error(_post(engineer_client, "/api/v1/judging/campaigns", {"name": "X", "variants": ["nope", slugs[0]]}),
                 400, "variants")
    assert_error(_post(engineer_client, "/api/v1/judging/campaigns", {"name": "X", "slug": campaign.slug,
                                                                     "variants": slugs}), 409, "slug")
    assert_error(_post(viewer_client, "/api/v1/judging/campaigns", {"name": "X", "variants": slugs}), 403, None)
    token = reviewer_client.get("/api/v1/judging/next").json()["token"]
    other = Client()
    other.force_login(UserFactory(role=Role.REVIEWER))
    assert_error(_post(other, f"/api/v1/judging/assignments/{token}/vote", {"choice": "left"}), 403, None)
    assert_error(_post(reviewer_client, "/api/v1/judging/assignments/not-a-token/vote", {"choice": "left"}),
                 404, "token")
    vote = f"/api/v1/judging/assignments/{token}/vote?next=false"
    assert _post(reviewer_client, vote, {"choice": "left"}).status_code == 200
    refused = assert_error(_post(reviewer_client, vote, {"choice": "right"}), 409, None)
    assert refused["vote"]["choice"] == "left"  # the conflict carries the stored vote


@pytest.mark.django_db
def test_judging_results(viewer_client, engineer_client):
    assert_error(viewer_client.get("/api/v1/judging/leaderboard", {"campaign": "nope"}), 404, "campaign")
    assert_error(engineer_client.get("/api/v1/judging/campaigns/nope/judgments"), 404, "slug")
    VariantFactory(slug="known-a")
    VariantFactory(slug="known-b")
    arena = '{"model_a": "known-a", "model_b": "known-b", "winner": "model_a"}\n'
    bad = engineer_client.post("/api/v1/judging/imports/arena", arena, content_type="application/json")
    assert assert_error(bad, 400, "tstamp")["errors"][0]["line"] == 1


@pytest.mark.django_db
def test_suites(engineer_client, reviewer_client):
    assert_error(engineer_client.get("/api/v1/suites/nope/export.jsonl"), 404, "suite_slug")
    assert_error(_post(engineer_client, "/api/v1/suites/runs", {"suite": "nope", "variant": "v"}), 404, "suite")
    assert_error(engineer_client.get("/api/v1/suites/runs/999999"), 404, "run_id")
    assert_error(engineer_client.get("/api/v1/suites/runs/999999/results", {"limit": 0}), 400, "limit")
    bad_file = {"suite": "s", "content": '{"id": "a"}\n', "format": "jsonl"}
    body = assert_error(_post(engineer_client, "/api/v1/suites/import", bad_file), 400, "input")
    assert body["errors"][0]["line"] == 1
    assert_error(reviewer_client.get("/api/v1/suites"), 403, None)


@pytest.mark.django_db
def test_telemetry(viewer_client):
    assert_error(viewer_client.get("/api/v1/production", {"period": "1y"}), 400, "period")
    variant = VariantFactory()
    events = [{"event_id": "e1", "timestamp": "2026-01-01T00:00:00Z", "variant": variant.slug, "latency_ms": -1}]
    body = assert_error(_post(_key_client(ApiKeyScope.INGEST), "/api/v1/events", {"events": events}), 400,
                        "events.0.latency_ms")
    assert body["errors"][0]["index"] == 0
    assert_error(_post(_key_client(ApiKeyScope.READ), "/api/v1/events", {"events": events}), 403, None)


@pytest.mark.django_db
def test_a_database_that_is_down_is_503_with_retry_after_in_the_same_shape(viewer_client, monkeypatch):
    from django.db import OperationalError

    from experiments.telemetry import selectors

    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "variant_metrics", down)
    response = viewer_client.get("/api/v1/production")
    assert_error(response, 503, None)
    assert response["Retry-After"]


@pytest.mark.django_db
def test_abtests(engineer, engineer_client, reviewer_client):
    assert_error(engineer_client.get("/api/v1/experiments/nope"), 404, "key")
    VariantFactory(slug="ctrl-v")
    VariantFactory(slug="treat-v")
    unknown_arm = {"name": "x", "key": "k", "primary_metric": "task_success", "arms": two_arms("ctrl-v", "nope")}
    assert_error(_post(engineer_client, "/api/v1/experiments", unknown_arm), 400, "arms.1.variant")
    experiment = abtests_services.experiment_start(
        experiment=register(engineer, key="running", arms=two_arms("ctrl-v", "treat-v")))
    assert_error(_post(engineer_client, f"/api/v1/experiments/{experiment.key}/arms",
                       {"arms": two_arms("ctrl-v", "treat-v")}, method="put"), 409, "arms")
    assert_error(reviewer_client.get("/api/v1/experiments"), 403, None)


@pytest.mark.django_db
def test_dashboards(viewer_client, reviewer_client):
    assert_error(viewer_client.get("/api/v1/dashboards/frontier", {"axis": "zzz"}), 400, "query.axis")
    assert_error(viewer_client.get("/api/v1/dashboards/reports/not-a-uuid"), 404, "report_uuid")
    assert_error(reviewer_client.get("/api/v1/dashboards/scorecard"), 403, None)


# ---------------------------------------------------------------- one mapping


def _imports_http_error(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if (isinstance(node, ast.ImportFrom) and node.module in {"ninja", "ninja.errors"}
                and any(alias.name == "HttpError" for alias in node.names)):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "HttpError":
            return True
    return False


def test_only_the_api_root_knows_ninja_http_errors():
    allowed = {Path("evalhub/api.py")}
    offenders = [str(path.relative_to(ROOT)) for package in ("evalhub", "judging", "experiments")
                 for path in sorted((ROOT / package).rglob("*.py"))
                 if path.relative_to(ROOT) not in allowed and _imports_http_error(ast.parse(path.read_text()))]
    assert offenders == []


def test_domain_errors_carry_no_http_status():
    from evalhub.core import errors

    for name in ("DomainError", "Invalid", "NotFound", "Forbidden", "Conflict", "TooLarge", "Unavailable"):
        exc = getattr(errors, name)("a message", "a_field")
        assert not any(hasattr(exc, attr) for attr in ("status", "status_code")), name
