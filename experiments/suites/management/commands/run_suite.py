"""``manage.py run_suite <suite-slug> --variant <slug> [--version N] [--concurrency C] [--wait | --inline]
[--fail-under X] [--junit-xml PATH]``.

Without ``--wait`` or ``--inline`` the run is queued for the Celery workers and the command returns.
``--wait`` shows a progress bar until the workers finish it; ``--inline`` runs every item in this
process through the same runner (nothing is queued, so no worker calls the items too). Either way the
command then prints each run's mean score with its 95% CI.

For CI: ``--fail-under X`` exits 1 when a run's mean score is below X; a run that failed (most items
errored) or was cancelled exits 2, whatever X. ``--junit-xml PATH`` writes a JUnit report: one
testcase per item, failures for items that did not pass (``experiments.suites.junit``).
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from evalhub.core.models import ModelVariant
from experiments.suites import selectors, services
from experiments.suites.junit import runs_junit_xml
from experiments.suites.models import Run, RunStatus, Suite

EXIT_BELOW_THRESHOLD = 1
EXIT_RUN_NOT_DONE = 2
NO_WORKER_HINT_S = 30.0


def bar(done: int, total: int, width: int = 40) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def unit_interval(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Run a suite version against a variant; with --wait/--inline, report the score (and gate CI)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("suite")
        parser.add_argument("--variant", required=True, action="append", help="variant slug (repeatable)")
        # The documented interface says --version N; Django's own --version (print Django's version) yields.
        django_version = [a for a in parser._actions if "--version" in a.option_strings]
        if django_version:
            parser._handle_conflict_resolve(None, [("--version", django_version[0])])
        parser.add_argument("--version", type=int, default=None, help="suite version number (default: newest)")
        parser.add_argument("--concurrency", type=int, default=None, help="default: ENDPOINT_CONCURRENCY")
        parser.add_argument("--timeout", type=float, default=60.0, help="seconds per model call")
        parser.add_argument("--retries", type=int, default=4)
        parser.add_argument("--no-cache", action="store_true",
                            help="call the endpoint for every item (default: reuse outputs of unchanged requests)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--wait", action="store_true", help="wait for the workers, showing progress")
        mode.add_argument("--inline", action="store_true", help="run here, without a worker (nothing is queued)")
        parser.add_argument("--fail-under", type=unit_interval, default=None, metavar="X",
                            help="exit 1 if a run's mean score is below X (0..1); needs --wait or --inline")
        parser.add_argument("--junit-xml", default=None, metavar="PATH",
                            help="write a JUnit XML report (one testcase per item); needs --wait or --inline")

    def handle(self, *args, **options) -> None:
        waits = options["wait"] or options["inline"]
        for flag in ("fail_under", "junit_xml"):
            if options[flag] is not None and not waits:
                raise CommandError(f"--{flag.replace('_', '-')}: needs --wait or --inline (the run must finish first)")
        suite = Suite.objects.filter(slug=options["suite"]).first()
        if suite is None:
            raise CommandError(f"suite: no suite {options['suite']!r}")
        version = (suite.versions.filter(number=options["version"]).first() if options["version"]
                   else services.version_latest(suite))
        if version is None:
            raise CommandError(f"version: suite {suite.slug} has no version {options['version'] or ''}")
        variants = []
        for slug in options["variant"]:
            variant = ModelVariant.objects.filter(slug=slug).first()
            if variant is None:
                raise CommandError(f"variant: no variant {slug!r}")
            variants.append(variant)

        finished: list[Run] = []
        for variant in variants:
            try:
                run = services.run_start(version=version, variant=variant, concurrency=options["concurrency"],
                                         timeout_s=options["timeout"], max_retries=options["retries"],
                                         dispatch=not options["inline"], use_cache=not options["no_cache"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            self.stdout.write(f"run {run.pk}: {version} × {variant.slug} ({run.n_items} items)")
            if not waits:
                continue
            try:
                if options["inline"]:
                    self._inline(run)
                else:
                    self._wait(run)
            except KeyboardInterrupt:
                services.run_cancel(run=Run.objects.get(pk=run.pk))
                raise CommandError(f"interrupted: run {run.pk} cancelled (Resume continues it)") from None
            run = selectors.run_get(run.pk)
            self._report(run)
            finished.append(run)

        if options["junit_xml"]:
            Path(options["junit_xml"]).write_text(runs_junit_xml(finished, fail_under=options["fail_under"]),
                                                  encoding="utf-8")
            self.stdout.write(f"JUnit report: {options['junit_xml']}")
        self._exit(finished, options["fail_under"])

    def _report(self, run: Run) -> None:
        summary = selectors.run_summary(run)
        if run.status == RunStatus.FAILED:
            self.stdout.write(self.style.ERROR(f"run {run.pk} failed: {run.error}"))
        elif run.status != RunStatus.DONE:
            self.stdout.write(self.style.WARNING(f"run {run.pk} is {run.status}: {run.n_done}/{run.n_items} items"))
        if summary.overall and run.status != RunStatus.FAILED:
            o = summary.overall
            ci = f" [{o.lower:.3f}, {o.upper:.3f}] (95% CI)" if o.lower is not None else " (no CI: one item)"
            self.stdout.write(self.style.SUCCESS(
                f"run {run.pk} {run.variant.slug}: mean score {o.mean:.3f}{ci}, pass rate {o.pass_rate:.3f}, "
                f"{summary.n_errors} errors, cost ${summary.cost_usd:.4f}"))

    def _exit(self, runs: list[Run], fail_under: float | None) -> None:
        broken = [r for r in runs if r.status != RunStatus.DONE]
        if broken:
            raise CommandError("; ".join(f"run {r.pk} ({r.variant.slug}) is {r.status}" for r in broken),
                               returncode=EXIT_RUN_NOT_DONE)
        if fail_under is None:
            return
        below = []
        for run in runs:
            overall = selectors.run_summary(run).overall
            if overall is None or overall.mean < fail_under:
                below.append(f"run {run.pk} ({run.variant.slug}) mean score "
                             f"{'none' if overall is None else f'{overall.mean:.3f}'} is below --fail-under {fail_under:g}")
        if below:
            raise CommandError("; ".join(below), returncode=EXIT_BELOW_THRESHOLD)

    def _progress(self, run: Run) -> selectors.Progress:
        progress = selectors.run_progress(run)
        self.stdout.write(f"\r{bar(progress.n_done, progress.n_total)} {progress.status}   ", ending="")
        self.stdout.flush()
        return progress

    def _wait(self, run: Run) -> None:
        started, hinted = time.monotonic(), False
        while (progress := self._progress(run)).status in (RunStatus.QUEUED, RunStatus.RUNNING):
            if progress.status == RunStatus.QUEUED and not hinted and time.monotonic() - started > NO_WORKER_HINT_S:
                self.stdout.write("\nno worker has picked the run up yet: is a Celery worker running (make run)?")
                hinted = True
            time.sleep(1.0)
        self.stdout.write("")

    def _inline(self, run: Run) -> None:
        services.run_inline(run=run, on_flush=lambda: self._progress(run))
        self._progress(run)
        self.stdout.write("")
