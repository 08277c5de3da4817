from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from evalhub.core.models import Role
from evalhub.core.roles import role_required


@role_required(Role.REVIEWER, Role.ADMIN)
def judge(request: HttpRequest) -> HttpResponse:
    return render(request, "placeholder.html", {"title": "Judge"})


@role_required(Role.VIEWER, Role.ENGINEER, Role.ADMIN)
def leaderboard(request: HttpRequest) -> HttpResponse:
    return render(request, "placeholder.html", {"title": "Leaderboard"})


@role_required(Role.ENGINEER, Role.ADMIN)
def campaigns(request: HttpRequest) -> HttpResponse:
    return render(request, "placeholder.html", {"title": "Campaigns"})
