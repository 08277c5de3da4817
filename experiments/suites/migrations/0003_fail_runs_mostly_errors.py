"""Runs that finished with at least half of their items errored were stored as ``done`` with a score of
errors (0.000 [0.000, 0.000]) that fed the dashboards; mark them ``failed`` with the reason, as
``services.run_finalize`` now does (``RUN_FAIL_ERROR_SHARE`` = 0.5)."""

from django.db import migrations
from django.db.models import Count, F

FAIL_ERROR_SHARE = 0.5


def fail_mostly_errored_runs(apps, schema_editor):
    Run = apps.get_model("suites", "Run")
    RunResult = apps.get_model("suites", "RunResult")
    runs = Run.objects.filter(status="done", n_done__gt=0, n_errors__gte=F("n_done") * FAIL_ERROR_SHARE)
    for run in runs.iterator():
        top = (RunResult.objects.filter(run_id=run.pk).exclude(error="").values("error")
               .annotate(n=Count("id")).order_by("-n", "error").first())
        common = f"; most common error ({top['n']}×): {top['error']}" if top else ""
        run.status = "failed"
        run.error = (f"{run.n_errors} of {run.n_done} items failed (at least 50%), "
                     f"so the run has no score{common}")[:2000]
        run.save(update_fields=["status", "error"])


class Migration(migrations.Migration):

    dependencies = [
        ("suites", "0002_add_run_heartbeat"),
    ]

    operations = [
        migrations.RunPython(fail_mostly_errored_runs, migrations.RunPython.noop),
    ]
