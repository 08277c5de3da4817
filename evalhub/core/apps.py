from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "evalhub.core"
    label = "core"
    verbose_name = "EvalHub core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_roles, sender=self)


def _ensure_roles(sender: AppConfig, **kwargs: object) -> None:
    """Create the role groups once core's permissions exist (after every migrate)."""
    from evalhub.core.services import roles_ensure

    roles_ensure()
