"""factory_boy factories shared by every test package."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from evalhub.core.models import Completion, ModelVariant, Prompt, Role
from evalhub.core.services import roles_ensure

PASSWORD = "pw-for-tests-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs) -> None:
        if not create:
            return
        self.save()
        if extracted:
            roles_ensure()
            self.groups.add(Group.objects.get(name=extracted))
            if extracted == Role.ENGINEER:  # as services.user_create: engineers use the admin
                self.is_staff = True
                self.save(update_fields=["is_staff"])
            if extracted == Role.ADMIN:
                self.is_superuser = True
                self.is_staff = True
                self.save(update_fields=["is_superuser", "is_staff"])


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVariant

    slug = factory.Sequence(lambda n: f"variant-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    family = "acme"
    base_model = "acme-7b"
    parameter_count = 7_000_000_000
    pretraining_tokens = 2_000_000_000_000
    price_input_per_mtok = Decimal("0.2")
    price_output_per_mtok = Decimal("0.6")
    endpoint_model = "acme-7b"


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt

    messages = factory.Sequence(lambda n: [{"role": "user", "content": f"Question number {n}?"}])
    category = "general"


class CompletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Completion

    prompt = factory.SubFactory(PromptFactory)
    variant = factory.SubFactory(VariantFactory)
    output = factory.Sequence(lambda n: f"Answer {n}.")
    input_tokens = 20
    output_tokens = 80
    latency_ms = 420.0
