from __future__ import annotations

from django.apps import AppConfig


class SuitesConfig(AppConfig):
    name = "experiments.suites"
    label = "suites"
    verbose_name = "Eval suites"
