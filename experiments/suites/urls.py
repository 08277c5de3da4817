from __future__ import annotations

from django.urls import path

from experiments.suites import views

app_name = "suites"
urlpatterns = [
    path("", views.list, name="list"),
]
