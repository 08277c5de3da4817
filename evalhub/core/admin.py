from __future__ import annotations

from django.contrib import admin, messages

from evalhub.core.models import ApiKey, Completion, ModelVariant, Prompt


@admin.register(ModelVariant)
class ModelVariantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "family", "parameter_count", "post_training", "test_time_strategy", "samples_n",
                    "reasoning_budget_tokens", "price_input_per_mtok", "price_output_per_mtok", "is_active"]
    list_filter = ["family", "post_training", "test_time_strategy", "uses_retrieval", "uses_tools", "is_active"]
    search_fields = ["slug", "name", "base_model"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if obj.endpoint_key_warning:
            messages.warning(request, obj.endpoint_key_warning)


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["id", "category", "language", "external_id", "created_at"]
    list_filter = ["category"]
    search_fields = ["external_id"]


@admin.register(Completion)
class CompletionAdmin(admin.ModelAdmin):
    list_display = ["id", "variant", "prompt", "output_tokens", "latency_ms", "cost_usd", "source"]
    list_filter = ["variant", "source"]
    raw_id_fields = ["prompt"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "display", "owner", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]
