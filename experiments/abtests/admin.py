from __future__ import annotations

from django.contrib import admin

from experiments.abtests.models import Arm, Experiment, Exposure, ResultSnapshot


class ArmInline(admin.TabularInline):
    model = Arm
    extra = 0


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "status", "primary_metric", "owner", "planned_sample_per_arm", "started_at")
    list_filter = ("status", "unit")
    search_fields = ("key", "name")
    # Status moves only through experiment_start/stop (page buttons, API) so times and side effects stay right.
    readonly_fields = ("status", "salt", "planned_sample_per_arm", "baseline", "started_at", "stopped_at")
    inlines = [ArmInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Experiments registered here get the same planned sample as through the service (once the
        # arms exist); invalid metric/arm set-ups are reported, not silently saved as runnable.
        from django.contrib import messages

        from experiments.abtests import planning
        from experiments.abtests.metrics import METRICS

        e = form.instance
        control = e.arms.filter(is_control=True).select_related("variant").first()
        if e.primary_metric not in METRICS or control is None:
            messages.warning(request, "needs a known primary_metric and exactly one control arm before it can start")
            return
        if e.planned_sample_per_arm is None:
            from evalhub.stats import StatsError

            try:
                plan = planning.plan(METRICS[e.primary_metric], control.variant, mde=e.mde, alpha=e.alpha, power=e.power,
                                     n_arms=e.arms.count())
            except StatsError as exc:
                messages.warning(request, f"no sample size: {exc}")
                return
            e.planned_sample_per_arm = plan.sample_per_arm
            e.baseline = {**plan.baseline, "daily_units": plan.daily_units, "expected_days": plan.expected_days}
            e.save(update_fields=["planned_sample_per_arm", "baseline"])

    def get_inlines(self, request, obj=None):
        # Same rule as arms_update: arms and allocation are edited only before the start.
        return [] if obj is not None and (obj.is_running or obj.started_at is not None) else self.inlines


@admin.register(Exposure)
class ExposureAdmin(admin.ModelAdmin):
    list_display = ("experiment", "arm", "unit_id", "first_exposed_at")
    list_filter = ("experiment",)
    search_fields = ("unit_id",)
    raw_id_fields = ("experiment", "arm")


@admin.register(ResultSnapshot)
class ResultSnapshotAdmin(admin.ModelAdmin):
    list_display = ("experiment", "day", "computed_at")
    list_filter = ("experiment",)
