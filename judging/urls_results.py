"""URL patterns for result pages, included by judging/urls.py (namespace "judging")."""

from __future__ import annotations

from django.urls import path

from judging import views_results

urlpatterns = [
    path("leaderboard/", views_results.leaderboard, name="leaderboard"),
    path("leaderboard/recompute/", views_results.leaderboard_recompute, name="leaderboard_recompute"),
    path("campaigns/<slug:slug>/quality/", views_results.quality, name="quality"),
    path("campaigns/<slug:slug>/export.csv", views_results.export_csv, name="export_csv"),
    path("campaigns/<slug:slug>/export.json", views_results.export_json, name="export_json"),
    path("import/", views_results.import_page, name="import"),
]
