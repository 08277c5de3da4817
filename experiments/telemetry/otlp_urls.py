"""OTLP/HTTP receiver routes mounted at the site root (``/v1/traces``), where OpenTelemetry exporters post."""

from __future__ import annotations

from django.urls import path

urlpatterns: list = []
