"""Every page checks its role: anonymous users go to login, the wrong role gets 403."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from evalhub.core.models import Role

SKIP_NAMESPACES = {"admin", "api"}
# Public by design: login/logout; /healthz gives anyone the overall status only (load balancers poll it;
# its checks are for admins, tested in test_health.py); /favicon.ico (unnamed) redirects to a static file.
SKIP_NAMES = {"login", "logout", "healthz", None}


def _patterns(resolver: URLResolver, namespace: str | None = None):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            if ns in SKIP_NAMESPACES:
                continue
            yield from _patterns(pattern, ns)
        elif isinstance(pattern, URLPattern):
            yield namespace, pattern


def site_views():
    return [(ns, p) for ns, p in _patterns(get_resolver()) if p.name not in SKIP_NAMES]


def test_every_page_declares_its_roles():
    missing = [f"{ns}:{p.name}" for ns, p in site_views() if not hasattr(p.callback, "required_roles")]
    assert not missing, f"views without a role check: {missing}"


def _argless_urls():
    urls = []
    for ns, p in site_views():
        if p.pattern.converters:
            continue
        name = f"{ns}:{p.name}" if ns else p.name
        urls.append((reverse(name), set(p.callback.required_roles)))
    return urls


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    for url, _ in _argless_urls():
        response = client.get(url)
        assert response.status_code in (302, 401), url
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), url


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ENGINEER, Role.VIEWER, Role.ADMIN])
def test_roles_allowed_and_refused(client, role):
    from tests.factories import UserFactory

    user = UserFactory(role=role)
    client.force_login(user)
    held = {role}
    if role == Role.ENGINEER:
        held.add(Role.VIEWER)  # engineers read the dashboards too
    checked = 0
    for url, required in _argless_urls():
        response = client.get(url)
        if role == Role.ADMIN or held & required:
            assert response.status_code in (200, 302), f"{role} should reach {url}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} must not reach {url}: {response.status_code}"
        checked += 1
    assert checked >= 8


def test_every_api_operation_requires_auth():
    from evalhub.api import api

    open_paths = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                if not operation.auth_callbacks:
                    open_paths.append(f"{','.join(operation.methods)} {prefix}{path}")
    assert not open_paths, f"API operations without auth: {open_paths}"


@pytest.mark.django_db
def test_engineer_manages_variants_in_admin_but_not_others_keys(engineer_client, viewer_client):
    assert engineer_client.get("/admin/core/modelvariant/").status_code == 200
    assert engineer_client.get("/admin/suites/suite/").status_code == 200
    assert engineer_client.get("/admin/core/apikey/").status_code == 403
    assert viewer_client.get("/admin/core/modelvariant/").status_code == 302  # not staff: sent to admin login
