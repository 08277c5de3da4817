from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from experiments.abtests import services
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
        # Experiments registered here get the same plan as through the service (once the arms exist);
        # invalid metric/arm set-ups are reported, not silently saved as runnable.
        try:
            services.experiment_plan_missing(experiment=form.instance)
        except ValidationError as exc:
            messages.warning(request, "; ".join(exc.messages))

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
