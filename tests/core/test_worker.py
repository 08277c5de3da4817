"""A Celery task really runs in a separate worker process, through the real broker."""

from __future__ import annotations

import pytest
from django.db import transaction

from evalhub.core.models import Completion
from evalhub.core.tasks import completion_generate_task
from tests.conftest import wait_for
from tests.factories import PromptFactory, VariantFactory


@pytest.mark.worker
def test_task_runs_in_worker_process(celery_worker_process, simulator):
    prompt = PromptFactory(messages=[{"role": "user", "content": "What is 6 * 7?"}])
    variant = VariantFactory(endpoint_model="acme-7b-dpo")
    with transaction.atomic():
        transaction.on_commit(lambda: completion_generate_task.delay(prompt_id=prompt.pk, variant_id=variant.pk))
    completion = wait_for(lambda: Completion.objects.filter(prompt=prompt, variant=variant).first(),
                          timeout=60, message="the worker to store the completion")
    assert completion.output_tokens > 0
    assert completion.cost_usd > 0
    assert simulator.request_count >= 1  # the worker called the endpoint over HTTP
    assert celery_worker_process.poll() is None
