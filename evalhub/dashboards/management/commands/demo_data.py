"""``manage.py demo_data``: the simulated demo world, reproducible from a seed.

The core part (users, variants, prompts) comes from ``evalhub.core.demo``; each app then adds
its part through its own ``demo.build``. The command lives here because dashboards is the one
package allowed to depend on every app.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from evalhub.core.demo import DemoWorld, build_core
from evalhub.core.models import ModelVariant
from evalhub.core.world import DEMO_PASSWORD, DEMO_USERS

APP_DEMOS = [
    "judging.demo",
    "experiments.suites.demo",
    "experiments.telemetry.demo",
    "experiments.abtests.demo",
    "evalhub.failures.demo",
    "evalhub.dashboards.demo",
]


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
        for module in APP_DEMOS:
            self.stdout.write(f"{module} …")
            import_module(module).build(world)
        self.stdout.write(self.style.SUCCESS("demo world loaded (simulated data with known ground truth)"))
        logins = ", ".join(f"{u} ({r})" for u, r in DEMO_USERS.items())
        self.stdout.write(f"logins (password '{DEMO_PASSWORD}'): {logins}")
