"""OTLP/HTTP receiver routes mounted at the site root (``/v1/traces``), where OpenTelemetry exporters post."""

from __future__ import annotations

from django.urls import path

from experiments.telemetry.otlp import traces_post

app_name = "otlp"
urlpatterns = [path("v1/traces", traces_post, name="traces")]
