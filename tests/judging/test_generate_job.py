"""Answer generation through the variants' endpoints: a real Celery worker and the simulator."""

from __future__ import annotations

import pytest

from evalhub.core.models import Completion
from judging import services
from judging.models import Campaign, Comparison
from judging.selectors import campaign_progress
from tests.conftest import wait_for
from tests.factories import PromptFactory, VariantFactory


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_start_generates_missing_answers_in_the_background_then_opens(celery_worker_process, simulator):
    variants = [VariantFactory(endpoint_model=model) for model in ("acme-7b", "acme-70b", "acme-7b-sft")]
    prompts = [PromptFactory(messages=[{"role": "user", "content": f"What is {i} + 2?"}]) for i in range(3)]
    campaign = services.campaign_create(name="Gen", variants=variants, prompts=prompts, redundancy_k=2)
    # one answer imported up front: generation must fill only the other eight
    Completion.objects.create(prompt=prompts[0], variant=variants[0], output="imported", source="imported")
    campaign = services.campaign_start(campaign=campaign)
    assert campaign.status == "generating"
    assert campaign_progress(campaign).answers_present == 1

    wait_for(lambda: Campaign.objects.get(pk=campaign.pk).status == "active", timeout=60,
             message="the campaign to open after generation")
    progress = campaign_progress(campaign)
    assert (progress.answers_present, progress.answers_needed) == (9, 9)
    assert Completion.objects.get(prompt=prompts[0], variant=variants[0]).output == "imported"
    assert Completion.objects.filter(prompt__in=prompts, source="generated").count() == 8
    assert Comparison.objects.filter(campaign=campaign).count() == 9  # 3 pairs × 3 prompts
    assert simulator.request_count >= 8
