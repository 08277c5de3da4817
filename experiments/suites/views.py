from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from evalhub.core.models import Role
from evalhub.core.roles import role_required


@role_required(Role.ENGINEER, Role.ADMIN)
def list(request: HttpRequest) -> HttpResponse:
    return render(request, "placeholder.html", {"title": "Eval suites"})
