"""Render time of the leadership pages with the demo data scaled ×10, beside a trivial page.

Target (issue #8): each page renders in < 300 ms with demo data ×10. Pages read the cached evidence
payload (``Report`` rows refreshed by ``dashboards_refresh_task``); the bench times

* warm: the payload is cached (what a viewer gets once the refresh task has run);
* cold: the cache row is deleted before each request, so the page computes the payload itself
  (SQL over rollups/runs/snapshots + fits) — the worst case, after the cache expires;
* the payload computation alone (what the Celery task does);
* baseline: the home page (a trivial template render through the same middleware and auth).

Database: the one in ``DATABASE_URL``. With ``--load`` and no variants there yet, it first runs
``manage.py demo_data --scale 10`` into it (use a throwaway database, e.g.
``createdb evalhub_bench && DATABASE_URL=postgresql://…/evalhub_bench .venv/bin/python manage.py migrate``).

Run: DATABASE_URL=… .venv/bin/python bench/dashboards.py [--load] [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")

TARGET_MS = 300.0


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm imports and template caches
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", action="store_true", help="load demo data ×10 first if the DB has no variants")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from evalhub.core.models import ModelVariant
    from evalhub.dashboards import selectors, services
    from evalhub.dashboards.models import Report
    from experiments.suites.models import RunResult
    from experiments.telemetry.models import HourlyRollup
    from judging.models import Judgment

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if args.load and not ModelVariant.objects.exists():
        print("loading demo data ×10 (manage.py demo_data --scale 10) …", flush=True)
        call_command("demo_data", scale=10.0)
    viewer = User.objects.filter(username="viewer").first()
    if viewer is None:
        sys.exit("no demo 'viewer' user: run with --load on an empty database, or run manage.py demo_data --scale 10")
    print(f"data: {ModelVariant.objects.count()} variants, {Judgment.objects.count():,} judgments, "
          f"{RunResult.objects.count():,} suite results, {HourlyRollup.objects.count():,} hourly rollups "
          f"(events: {sum(HourlyRollup.objects.values_list('n', flat=True)):,})")

    client = Client()
    client.force_login(viewer)

    def get(url: str):
        def run():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return run

    def cold(url: str):
        def run():
            Report.objects.filter(saved=False).delete()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return run

    base_med, base_max = _time(get(reverse("core:home")), args.repeat)
    payload_med, payload_max = _time(lambda: selectors.build_payload(selectors.DEFAULT_DAYS), max(3, args.repeat // 3))
    services.report_cache_refresh()
    print(f"\nbaseline (home page): median {base_med:.1f} ms, max {base_max:.1f} ms")
    print(f"payload computation (refresh task): median {payload_med:.1f} ms, max {payload_max:.1f} ms\n")
    print(f"{'page':42} {'warm median':>12} {'warm max':>9} {'ratio':>6} {'cold median':>12}  target < {TARGET_MS:.0f} ms")
    suite = next((s["slug"] for s in services.report_current().payload.get("suites", [])), None)
    pages = [reverse("dashboards:scorecard"), reverse("dashboards:scorecard") + "?kind=test-time%20compute&sort=cost",
             reverse("dashboards:frontier"), reverse("dashboards:frontier") + "?axis=latency",
             reverse("dashboards:verdict"), reverse("dashboards:scorecard_csv"), reverse("dashboards:verdict_csv")]
    if suite:
        pages += [reverse("dashboards:frontier") + f"?quality=suite:{suite}",
                  reverse("dashboards:verdict") + f"?quality=suite:{suite}"]
    worst = 0.0
    for url in pages:
        services.report_cache_refresh()
        med, mx = _time(get(url), args.repeat)
        cmed, _ = _time(cold(url), max(3, args.repeat // 5))
        worst = max(worst, med)
        ok = "ok" if med < TARGET_MS else "SLOW"
        print(f"{url:42} {med:10.1f}ms {mx:7.1f}ms {med / base_med:5.1f}x {cmed:10.1f}ms  {ok}")
    services.report_cache_refresh()
    report = Report.objects.filter(saved=True).first()
    if report is not None:
        url = reverse("dashboards:report", args=[report.uuid])
        med, mx = _time(get(url), args.repeat)
        worst = max(worst, med)
        print(f"{'saved report page':42} {med:10.1f}ms {mx:7.1f}ms {med / base_med:5.1f}x {'—':>12}  "
              f"{'ok' if med < TARGET_MS else 'SLOW'}")
    print(f"\nworst warm median {worst:.1f} ms vs target {TARGET_MS:.0f} ms: {'PASS' if worst < TARGET_MS else 'FAIL'}")


if __name__ == "__main__":
    main()
