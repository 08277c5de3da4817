from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

from evalhub.api import api
from evalhub.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("judge/", include("judging.urls")),
    path("suites/", include("experiments.suites.urls")),
    path("production/", include("experiments.telemetry.urls")),
    path("", include("experiments.telemetry.otlp_urls")),
    path("experiments/", include("experiments.abtests.urls")),
    path("dashboards/", include("evalhub.dashboards.urls")),
    path("failures/", include("evalhub.failures.urls")),
    path("", include("evalhub.core.urls")),
]
