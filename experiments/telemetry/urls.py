from __future__ import annotations

from django.urls import path

from experiments.telemetry import views

app_name = "telemetry"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export_csv, name="export_csv"),
]
