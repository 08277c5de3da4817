from __future__ import annotations

from django.urls import path

from evalhub.failures import views

app_name = "failures"
urlpatterns = [
    path("", views.index, name="index"),
    path("dimensions/", views.dimensions, name="dimensions"),
    path("dimensions/<int:pk>/retire/", views.dimension_retire, name="dimension_retire"),
    path("<slug:slug>/", views.variant, name="variant"),
    path("<slug:slug>/slice/", views.slice_action, name="slice_action"),
]
