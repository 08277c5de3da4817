from __future__ import annotations

from django.apps import AppConfig


class AbtestsConfig(AppConfig):
    name = "experiments.abtests"
    label = "abtests"
    verbose_name = "A/B experiments"
