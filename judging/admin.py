from __future__ import annotations

from django.contrib import admin

from judging.models import Assignment, Campaign, Comparison, Judgment, ReviewerExclusion


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "status", "pair_design", "redundancy_k", "gold_rate", "created_at")
    list_filter = ("status", "pair_design")
    search_fields = ("name", "slug")
    filter_horizontal = ("variants",)
    raw_id_fields = ("prompts", "created_by")


@admin.register(Comparison)
class ComparisonAdmin(admin.ModelAdmin):
    list_display = ("id", "campaign", "variant_a", "variant_b", "is_gold", "judgments_done", "judgments_needed")
    list_filter = ("campaign", "is_gold")
    raw_id_fields = ("prompt", "completion_a", "completion_b")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("token", "campaign", "reviewer", "status", "swapped", "leased_at", "expires_at")
    list_filter = ("status", "campaign")
    raw_id_fields = ("comparison", "reviewer")


@admin.register(Judgment)
class JudgmentAdmin(admin.ModelAdmin):
    list_display = ("id", "campaign", "reviewer", "variant_a", "variant_b", "outcome", "identity_flag", "excluded",
                    "gold_correct", "created_at")
    list_filter = ("campaign", "outcome", "identity_flag", "excluded")
    raw_id_fields = ("assignment", "comparison", "reviewer")


@admin.register(ReviewerExclusion)
class ReviewerExclusionAdmin(admin.ModelAdmin):
    list_display = ("reviewer", "campaign", "reason", "created_by", "created_at")
