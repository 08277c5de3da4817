from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from evalhub.core.models import Role
from evalhub.core.roles import role_required


@role_required(Role.VIEWER, Role.ENGINEER, Role.ADMIN)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "placeholder.html", {"title": "Production metrics"})
