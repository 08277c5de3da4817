"""Demo data for the leadership pages, called last by `manage.py demo_data`.

Computes the evidence payload once from what the other apps' demos loaded (so the first page view
is served from the cache) saves one report, so the demo shows a stable report URL, and saves the first decision policy (as the
demo engineer) so the verdict page shows one overall answer.
"""

from __future__ import annotations

from evalhub.core.demo import DemoWorld
from evalhub.dashboards import dollars, selectors, services
from evalhub.dashboards.models import DecisionPolicy, Report, ReportKind

DEMO_REPORT_TITLE = "Demo: where should the next dollar go?"


def build(world: DemoWorld) -> None:
    """Add this app's part of the simulated demo world (idempotent: one demo report at most)."""
    report = services.report_cache_refresh(selectors.DEFAULT_DAYS)
    if not DecisionPolicy.objects.exists():
        services.policy_save(weights=dollars.default_weights(report.payload), user=world.users.get("engineer"),
                             note="demo: every measured quality, equal weights")
    if Report.objects.filter(saved=True, title=DEMO_REPORT_TITLE).exists():
        return
    user = world.users.get("viewer")
    services.report_save(kind=ReportKind.VERDICT, title=DEMO_REPORT_TITLE, user=user,
                         params={"days": selectors.DEFAULT_DAYS, "kind": "", "sort": "bt", "descending": True,
                                 "quality": "bt", "axis": "cost"})
