from __future__ import annotations

from django.urls import path

from experiments.abtests import views

app_name = "abtests"
urlpatterns = [
    path("", views.list, name="list"),
]
