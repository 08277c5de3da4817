from __future__ import annotations

from django.apps import AppConfig


class FailuresConfig(AppConfig):
    name = "evalhub.failures"
    label = "failures"
    verbose_name = "Failure modes"
