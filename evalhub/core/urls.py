from __future__ import annotations

from django.urls import path

from evalhub.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("variants/", views.variants, name="variants"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
