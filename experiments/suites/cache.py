"""Result cache: a run reuses the model output of an earlier result with the same cache key and calls the
endpoint only for what changed (as promptfoo's cache does).

The key is a SHA-256 over everything that decides what the endpoint is asked: the base URL, the request
body the variant's settings and request options produce for the item (messages as sent, with choices,
passages and tools; model; temperature; reasoning fields), the strategy and its number of samples, the
best-of-n judge, and the item's id (it seeds the samples). Graders are not in the key: a cached output is
graded again with the item's current grader. Errors are never cached.
"""

from __future__ import annotations

import hashlib
import json

from evalhub.core import connector
from evalhub.core.models import ModelVariant
from experiments.suites import prompts, strategies
from experiments.suites.models import Run, RunResult, SuiteItem


def cache_key(item: SuiteItem, variant: ModelVariant) -> str:
    messages = prompts.item_messages(item, retrieval=variant.uses_retrieval)
    body = connector.request_body(variant, messages, tools=item.tools or None)
    payload = {"endpoint": connector.endpoint_for(variant)[0], "body": body, "item": item.external_id,
               "strategy": variant.test_time_strategy, "n": strategies.sample_count(variant),
               "judge": variant.judge_variant.slug if variant.judge_variant_id else None}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def reuse(run: Run, items: list[SuiteItem]) -> list[RunResult]:
    """Results for the items whose output is cached, graded now; the other items still need calls."""
    from experiments.suites.runner import ItemRunner, judges_for

    keys = {item.pk: cache_key(item, run.variant) for item in items}
    hits = {r.cache_key: r for r in RunResult.objects.filter(cache_key__in=set(keys.values()), error="")
            .exclude(run_id=run.pk).order_by("cache_key", "-id").distinct("cache_key")}
    if not hits:
        return []
    cached_items = [item for item in items if keys[item.pk] in hits]
    item_runner = ItemRunner(run, judges_for(cached_items), client=None)  # type: ignore[arg-type]
    return [item_runner.result_from_cache(item, hits[keys[item.pk]], keys[item.pk]) for item in cached_items]
