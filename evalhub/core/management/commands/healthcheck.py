"""``manage.py healthcheck``: the checks ``/healthz`` runs, from the command line (exit 1 when down).

``--no-worker`` skips the worker heartbeat (``make run`` calls it before starting workers, which also
creates the broker's tables once, before worker and beat start).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from evalhub.core.health import health_check


class Command(BaseCommand):
    help = "Check the database, the broker and the worker heartbeat; exit 1 if EvalHub is down."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-worker", action="store_true", help="do not require a recent worker heartbeat")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the checks as JSON")

    def handle(self, *args, no_worker: bool = False, as_json: bool = False, **options) -> None:
        health = health_check(fresh=True)
        checks = {name: check for name, check in health.checks.items() if not (no_worker and name == "worker")}
        if as_json:
            self.stdout.write(json.dumps(health.as_dict(detailed=True), indent=2))
        else:
            for name, check in checks.items():
                url = f" ({check.extra['url']})" if "url" in check.extra else ""
                self.stdout.write(f"{name:<9} {'ok' if check.ok else 'FAIL':<5} {check.detail}{url}")
        if not all(check.ok for check in checks.values()):
            raise CommandError("EvalHub is not healthy")
