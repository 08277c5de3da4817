from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from evalhub.core import selectors, services
from evalhub.core.forms import ApiKeyForm
from evalhub.core.health import health_check
from evalhub.core.models import Role
from evalhub.core.roles import has_role, role_required


@role_required(Role.REVIEWER, Role.ENGINEER, Role.VIEWER, Role.ADMIN)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@role_required(Role.ENGINEER, Role.ADMIN)
def variants(request: HttpRequest) -> HttpResponse:
    return render(request, "core/variants.html", {"variants": selectors.variants_active()})


@role_required(Role.ENGINEER, Role.ADMIN)
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = services.api_key_create(owner=request.user, name=form.cleaned_data["name"],
                                             scopes=form.cleaned_data["scopes"])
        form = ApiKeyForm()
    return render(request, "core/api_keys.html",
                  {"form": form, "keys": selectors.api_keys_for(request.user), "new_key": new_key,
                   "show_owner": has_role(request.user, Role.ADMIN)})


@require_POST
@role_required(Role.ENGINEER, Role.ADMIN)
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(selectors.api_keys_for(request.user), pk=pk)
    services.api_key_revoke(key=key)
    messages.success(request, f"Revoked {key.display}.")
    return redirect("core:api_keys")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Overall status for anyone (load balancers); every check, broker URL included, for admins."""
    health = health_check()
    detailed = request.user.is_staff or has_role(request.user, Role.ADMIN)
    return JsonResponse(health.as_dict(detailed=detailed), status=health.http_status)
