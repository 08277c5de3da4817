from __future__ import annotations

from django.urls import path

from evalhub.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.scorecard, name="scorecard"),
    path("frontier/", views.frontier, name="frontier"),
    path("verdict/", views.verdict, name="verdict"),
]
