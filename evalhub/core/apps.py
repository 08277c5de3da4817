from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "evalhub.core"
    label = "core"
    verbose_name = "EvalHub core"

    def ready(self) -> None:
        # Every app's permissions exist only after its own post_migrate; re-sync after each (cheap, idempotent).
        post_migrate.connect(_ensure_roles, dispatch_uid="evalhub.core.roles_ensure")


def _ensure_roles(sender: AppConfig, **kwargs: object) -> None:
    """Create the role groups and their permissions (after every app's migrations)."""
    from evalhub.core.services import roles_ensure

    roles_ensure()
