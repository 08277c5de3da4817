from __future__ import annotations

from django.urls import path

from evalhub.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.scorecard, name="scorecard"),
    path("scorecard.csv", views.scorecard_csv, name="scorecard_csv"),
    path("frontier/", views.frontier, name="frontier"),
    path("frontier.csv", views.frontier_csv, name="frontier_csv"),
    path("verdict/", views.verdict, name="verdict"),
    path("verdict.csv", views.verdict_csv, name="verdict_csv"),
    path("policy/", views.policy, name="policy"),
    path("reports/", views.reports, name="reports"),
    path("reports/<uuid:report_uuid>/", views.report, name="report"),
]
