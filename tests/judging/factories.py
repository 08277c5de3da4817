"""Builders for judging tests: an active campaign with answers and all-pairs comparisons."""

from __future__ import annotations

from evalhub.core.models import Completion, Prompt
from judging import services
from judging.models import Campaign, CampaignStatus
from tests.factories import PromptFactory, VariantFactory


def active_campaign(*, n_variants: int = 3, n_prompts: int = 4, k: int = 2, slug: str = "camp",
                    criteria: list[str] | None = None, gold_rate: float = 0.0, reveal: bool = False,
                    outputs=None, lease_seconds: int = 600) -> Campaign:
    """Variants × prompts with an answer each, comparisons built, status active."""
    variants = [VariantFactory() for _ in range(n_variants)]
    prompts = [PromptFactory() for _ in range(n_prompts)]
    Completion.objects.bulk_create([
        Completion(prompt=p, variant=v, output=outputs(i, j) if outputs else f"Answer {i}/{j}: **bold** text.")
        for i, p in enumerate(prompts) for j, v in enumerate(variants)
    ])
    campaign = services.campaign_create(
        name=slug.title(), slug=slug, variants=variants, prompts=prompts, redundancy_k=k,
        criteria=criteria or [], gold_rate=gold_rate, reveal_after_vote=reveal, lease_seconds=lease_seconds,
        instructions="Pick the more **helpful** answer.",
    )
    services.campaign_build_comparisons(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.ACTIVE)
    campaign.refresh_from_db()
    return campaign


def prompts_of(campaign: Campaign) -> list[Prompt]:
    return list(campaign.prompts.order_by("pk"))
