"""The core of the demo world: users for each role, the variants of ``evalhub.core.world``, prompts.

``manage.py demo_data`` builds it, then lets each app add its part. Everything is seeded, so the
same command on an empty database gives the same world.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User

from evalhub.core import services
from evalhub.core.models import ModelVariant, Prompt
from evalhub.core.world import DEMO_PASSWORD, DEMO_USERS, FAMILY, VARIANTS

PROMPT_TOPICS = {
    "writing": ["Write a short email declining a meeting politely.", "Draft a product update for customers.",
                "Rewrite this paragraph to be more concise: our team has been working hard.",
                "Write a thank-you note to a colleague who helped with a launch."],
    "support": ["How do I reset my password if I lost access to my email?", "My invoice shows a double charge. What now?",
                "How can I export my data to CSV?", "Why is my upload stuck at 99%?"],
    "coding": ["Fix this Python: for i in range(10) print(i)", "Explain what a race condition is with an example.",
               "How do I reverse a list in Python?", "Write a SQL query counting orders per customer."],
    "reasoning": ["Plan a three-day trip to Lisbon on a budget.", "Compare renting and buying a home for a young family.",
                  "What are the trade-offs of microservices?", "How should a small team prioritise bugs?"],
    "math": ["What is 17 * 23 + 5?", "Compute (144 / 12) * 7 - 9.", "What is 1250 - 387 + 42?", "What is (36 + 14) * 3?"],
}


@dataclass
class DemoWorld:
    """What the core demo made, handed to each app's ``demo.build``. ``scale`` multiplies volumes."""

    seed: int = 7
    scale: float = 1.0
    users: dict[str, User] = field(default_factory=dict)
    variants: dict[str, ModelVariant] = field(default_factory=dict)
    prompts: list[Prompt] = field(default_factory=list)

    def rng(self, salt: str) -> random.Random:
        return random.Random(f"{self.seed}:{salt}")


def build_core(world: DemoWorld) -> None:
    services.roles_ensure()
    for username, role in DEMO_USERS.items():
        user = User.objects.filter(username=username).first()
        world.users[username] = user or services.user_create(username=username, password=DEMO_PASSWORD, role=role)
    for truth in VARIANTS:
        variant = ModelVariant.objects.filter(slug=truth.slug).first()
        if variant is None:
            variant = services.variant_create(
                slug=truth.slug, name=truth.name, description=truth.description, family=FAMILY,
                base_model="acme-70b" if truth.parameter_count > 10**10 else "acme-7b",
                parameter_count=truth.parameter_count, pretraining_tokens=truth.pretraining_tokens,
                post_training=truth.post_training, test_time_strategy=truth.test_time_strategy,
                samples_n=truth.samples_n, reasoning_budget_tokens=truth.reasoning_budget_tokens,
                temperature=truth.temperature, uses_retrieval=truth.uses_retrieval,
                price_input_per_mtok=Decimal(str(truth.price_input_per_mtok)),
                price_output_per_mtok=Decimal(str(truth.price_output_per_mtok)),
                endpoint_model=truth.endpoint_model,
            )
        world.variants[truth.slug] = variant
    if not Prompt.objects.filter(external_id__startswith="demo-").exists():
        rows = []
        for category, texts in PROMPT_TOPICS.items():
            for i, text in enumerate(texts):
                rows.append(Prompt(messages=[{"role": "user", "content": text}], category=category,
                                   tags=["demo"], language="en", external_id=f"demo-{category}-{i}"))
        Prompt.objects.bulk_create(rows)
    world.prompts = list(Prompt.objects.filter(external_id__startswith="demo-").order_by("id"))
