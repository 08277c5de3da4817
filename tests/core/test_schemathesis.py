"""Fuzz EVERY operation of the OpenAPI schema, as every role: never a 5xx, every status documented.

Cases come from schemathesis (from the live schema, so a new endpoint is fuzzed the day it lands)
and go through Django's test client (it keeps the test transaction's connection). Each caller is a
logged-in session of one role or an API key of one scope; generated credentials are dropped. The
example count per operation is bounded (``SCHEMATHESIS_EXAMPLES``, default 4; the admin session,
which reaches the most code, gets twice that) so the module runs in the ordinary suite.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings

from evalhub.core.models import Role
from evalhub.core.services import api_key_create
from tests.factories import UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
DROPPED_HEADERS = {"authorization", "x-api-key", "cookie", "x-csrftoken", "content-length", "host"}


def _schema():
    from evalhub.api import api

    return schemathesis.openapi.from_dict(api.get_openapi_schema())


def _session(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def _key(scope: str) -> Client:
    _, raw = api_key_create(owner=UserFactory(role=Role.ENGINEER), name=f"fuzz-{scope}", scopes=[scope])
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


CALLERS: dict[str, Callable[[], Client]] = {
    "admin-session": lambda: _session(Role.ADMIN),
    "engineer-session": lambda: _session(Role.ENGINEER),
    "reviewer-session": lambda: _session(Role.REVIEWER),
    "viewer-session": lambda: _session(Role.VIEWER),
    "read-key": lambda: _key("read"),
    "ingest-key": lambda: _key("ingest"),
    "run-key": lambda: _key("run"),
}


def send(client: Client, case) -> object:
    """One schemathesis case through the Django test client, with the caller's own credentials."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    url = urlsplit(kwargs["url"])
    query = urlencode(kwargs.get("params") or {}, doseq=True)
    path = url.path + (f"?{query}" if query else "")
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() not in DROPPED_HEADERS}
    content_type = headers.pop("Content-Type", None) or headers.pop("content-type", None)
    if "json" in kwargs:
        body: bytes | str = json.dumps(kwargs["json"])
        content_type = content_type or "application/json"
    else:
        body = kwargs.get("data") or b""
        if isinstance(body, dict):
            body = urlencode(body, doseq=True)
    extra = {f"HTTP_{name.upper().replace('-', '_')}": str(value) for name, value in headers.items()}
    return client.generic(kwargs["method"], path, body, content_type=content_type or "application/octet-stream",
                          **extra)


@pytest.mark.parametrize("caller", list(CALLERS))
def test_no_operation_answers_5xx_or_an_undocumented_status(caller):
    VariantFactory(slug="fuzz-a")
    VariantFactory(slug="fuzz-b")
    client = CALLERS[caller]()
    problems: list[str] = []
    examples = EXAMPLES * 2 if caller == "admin-session" else EXAMPLES
    operations = [result.ok() for result in _schema().get_all_operations()]
    assert len(operations) >= 30  # the whole API, not an empty schema

    for operation in operations:
        documented = {str(code) for code in operation.definition.raw.get("responses", {})}

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case) -> None:
            response = send(client, case)
            status = response.status_code
            # run() is called below, within the loop iteration that defines it (B023 does not apply).
            if status >= 500 or str(status) not in documented:  # noqa: B023
                content = b"".join(response.streaming_content) if response.streaming else response.content
                problems.append(f"{operation.method.upper()} {operation.path} -> {status} "  # noqa: B023
                                f"(documented {sorted(documented)}): {content[:200]!r}")  # noqa: B023

        run()
    assert not problems, "\n".join(sorted(set(problems))[:40])
