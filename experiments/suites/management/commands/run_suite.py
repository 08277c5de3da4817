"""``manage.py run_suite <suite-slug> --variant <slug> [--version N] [--concurrency C] [--wait | --inline]``.

Without flags the run is queued for the Celery workers and the command returns. ``--wait`` then
shows a progress bar until the workers finish; ``--inline`` runs every item in this process (no
worker needed) through the same runner, with the same progress bar.
"""

from __future__ import annotations

import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evalhub.core.models import ModelVariant
from experiments.suites import selectors, services
from experiments.suites.models import Run, RunStatus, Suite


def bar(done: int, total: int, width: int = 40) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


class Command(BaseCommand):
    help = "Run a suite version against a variant."

    def add_arguments(self, parser) -> None:
        parser.add_argument("suite")
        parser.add_argument("--variant", required=True, action="append", help="variant slug (repeatable)")
        # The interface says --version N; Django's own --version (print Django's version) yields.
        django_version = [a for a in parser._actions if "--version" in a.option_strings]
        if django_version:
            parser._handle_conflict_resolve(None, [("--version", django_version[0])])
        parser.add_argument("--version", type=int, default=None, help="suite version number (default: newest)")
        parser.add_argument("--concurrency", type=int, default=None, help="default: ENDPOINT_CONCURRENCY")
        parser.add_argument("--timeout", type=float, default=60.0)
        parser.add_argument("--retries", type=int, default=4)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--wait", action="store_true", help="wait for the workers, showing progress")
        mode.add_argument("--inline", action="store_true", help="run here, without a worker")

    def handle(self, *args, **options) -> None:
        suite = Suite.objects.filter(slug=options["suite"]).first()
        if suite is None:
            raise CommandError(f"suite: no suite {options['suite']!r}")
        version = (suite.versions.filter(number=options["version"]).first() if options["version"]
                   else services.version_latest(suite))
        if version is None:
            raise CommandError(f"version: suite {suite.slug} has no version {options['version'] or ''}")
        for slug in options["variant"]:
            variant = ModelVariant.objects.filter(slug=slug).first()
            if variant is None:
                raise CommandError(f"variant: no variant {slug!r}")
            try:
                run = services.run_start(version=version, variant=variant, concurrency=options["concurrency"],
                                         timeout_s=options["timeout"], max_retries=options["retries"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            self.stdout.write(f"run {run.pk}: {version} × {variant.slug} ({run.n_items} items)")
            if options["inline"]:
                self._inline(run)
            elif options["wait"]:
                self._wait(run)
            else:
                continue
            summary = selectors.run_summary(Run.objects.get(pk=run.pk))
            if summary.overall:
                o = summary.overall
                ci = f" [{o.lower:.3f}, {o.upper:.3f}]" if o.lower is not None else ""
                self.stdout.write(self.style.SUCCESS(
                    f"mean score {o.mean:.3f}{ci}, {summary.n_errors} errors, cost ${summary.cost_usd:.4f}"))

    def _progress(self, run: Run) -> selectors.Progress:
        progress = selectors.run_progress(run)
        sys.stdout.write(f"\r{bar(progress.n_done, progress.n_total)} {progress.status}   ")
        sys.stdout.flush()
        return progress

    def _wait(self, run: Run) -> None:
        while self._progress(run).status in (RunStatus.QUEUED, RunStatus.RUNNING):
            time.sleep(1.0)
        sys.stdout.write("\n")

    def _inline(self, run: Run) -> None:
        # The on_commit dispatch also queued the run for workers; running it here as well is safe
        # (results are exactly-once per item) and a worker that picks it up later finds nothing to do.
        Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING, started_at=timezone.now())
        services.run_chunk(run_id=run.pk, on_flush=lambda: self._progress(run))
        self._progress(run)
        sys.stdout.write("\n")
