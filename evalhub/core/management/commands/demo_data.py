"""``manage.py demo_data``: the simulated demo world, reproducible from a seed.

The core part (users, variants, prompts) comes from ``evalhub.core.demo``; each installed app then
adds its part through its own ``demo.build(world)``, found the way Django's admin finds ``admin``
modules and called in ``INSTALLED_APPS`` order (the leadership pages, which read the others, last).
Core names no app: an app with a ``demo`` module takes part.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from evalhub.core.demo import DemoWorld, build_core
from evalhub.core.models import ModelVariant
from evalhub.core.world import DEMO_PASSWORD, DEMO_USERS


def app_demos() -> list[str]:
    """The ``demo`` modules of the installed apps other than core, in ``INSTALLED_APPS`` order."""
    return [f"{config.name}.demo" for config in apps.get_app_configs()
            if config.name != "evalhub.core" and module_has_submodule(config.module, "demo")]


class Command(BaseCommand):
    help = "Load the simulated demo world (variants with known ground truth, votes, runs, traffic, experiments)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the demo is already loaded")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--scale", type=float, default=1.0, help="multiply data volumes (e.g. 10 for benchmarks)")

    def handle(self, *args, **options) -> None:
        from importlib import import_module

        if options["if_empty"] and ModelVariant.objects.exists():
            self.stdout.write("demo data already loaded; reusing it")
            return
        world = DemoWorld(seed=options["seed"], scale=options["scale"])
        with transaction.atomic():
            build_core(world)
        self.stdout.write(f"core: {len(world.variants)} variants, {len(world.prompts)} prompts, {len(world.users)} users")
        for module in app_demos():
            self.stdout.write(f"{module} …")
            import_module(module).build(world)
        self.stdout.write(self.style.SUCCESS("demo world loaded (simulated data with known ground truth)"))
        logins = ", ".join(f"{u} ({r})" for u, r in DEMO_USERS.items())
        self.stdout.write(f"logins (password '{DEMO_PASSWORD}'): {logins}")
