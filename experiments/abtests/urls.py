from __future__ import annotations

from django.urls import path

from experiments.abtests import views

app_name = "abtests"
urlpatterns = [
    path("", views.experiment_list, name="list"),
    path("new/", views.experiment_new, name="new"),
    path("<slug:key>/", views.experiment_detail, name="detail"),
    path("<slug:key>/start/", views.experiment_start, name="start"),
    path("<slug:key>/stop/", views.experiment_stop, name="stop"),
]
