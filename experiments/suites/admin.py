from __future__ import annotations

from django.contrib import admin

from experiments.suites.models import HumanGrade, Run, RunResult, Suite, SuiteItem, SuiteVersion


@admin.register(Suite)
class SuiteAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "created_at")
    search_fields = ("slug", "name")


@admin.register(SuiteVersion)
class SuiteVersionAdmin(admin.ModelAdmin):
    list_display = ("suite", "number", "item_count", "locked", "source_format", "created_at")
    list_filter = ("locked", "source_format")


@admin.register(SuiteItem)
class SuiteItemAdmin(admin.ModelAdmin):
    list_display = ("version", "external_id", "category", "group")
    list_select_related = ("version__suite",)
    search_fields = ("external_id",)


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("id", "version", "variant", "status", "source", "n_done", "n_items", "created_at")
    list_filter = ("status", "source")
    list_select_related = ("version__suite", "variant")


@admin.register(RunResult)
class RunResultAdmin(admin.ModelAdmin):
    list_display = ("run", "item", "score", "passed", "latency_ms", "error")
    list_select_related = ("run", "item")
    raw_id_fields = ("run", "item")


@admin.register(HumanGrade)
class HumanGradeAdmin(admin.ModelAdmin):
    list_display = ("result", "reviewer", "score", "graded_at")
    raw_id_fields = ("result",)
