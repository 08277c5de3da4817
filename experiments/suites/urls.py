from __future__ import annotations

from django.urls import path

from experiments.suites import views, views_export

app_name = "suites"
urlpatterns = [
    path("", views.suite_list, name="list"),
    path("import/", views.suite_import, name="import"),
    path("grade/", views.grade_queue, name="grade_queue"),
    path("grade/<int:pk>/", views.grade_submit, name="grade_submit"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress.json", views.run_progress, name="run_progress"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<int:pk>/resume/", views.run_resume, name="run_resume"),
    path("runs/<int:pk>/compare/", views.run_compare, name="run_compare"),
    path("runs/<int:pk>/results.<str:fmt>", views_export.run_export, name="run_export"),
    path("<slug:slug>/", views.suite_detail, name="detail"),
    path("<slug:slug>/chart/", views.suite_chart, name="chart"),
    path("<slug:slug>/export.jsonl", views_export.suite_export, name="export"),
    path("<slug:slug>/run/", views.run_launch, name="launch"),
    path("<slug:slug>/recorded/", views.recorded_import, name="recorded"),
]
