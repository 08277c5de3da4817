from __future__ import annotations

from django.contrib import admin

from experiments.telemetry.models import HourlyRollup, ModelAlias, UnitRollup


@admin.register(ModelAlias)
class ModelAliasAdmin(admin.ModelAdmin):
    list_display = ("provider", "model_name", "is_prefix", "variant")
    list_filter = ("provider",)
    search_fields = ("model_name", "variant__slug")
    autocomplete_fields = ()
    list_select_related = ("variant",)


@admin.register(HourlyRollup)
class HourlyRollupAdmin(admin.ModelAdmin):
    list_display = ("hour", "variant", "experiment_key", "arm", "n", "refusals", "reasks", "thumbs_up", "feedback_n")
    list_filter = ("variant",)
    date_hierarchy = "hour"
    list_select_related = ("variant",)
    readonly_fields = [f.name for f in HourlyRollup._meta.fields]


@admin.register(UnitRollup)
class UnitRollupAdmin(admin.ModelAdmin):
    list_display = ("experiment_key", "arm", "unit_id", "variant", "n", "last_seen")
    search_fields = ("experiment_key", "unit_id")
    list_select_related = ("variant",)
    readonly_fields = [f.name for f in UnitRollup._meta.fields]
