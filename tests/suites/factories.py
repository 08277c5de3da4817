"""Factories for the suites app."""

from __future__ import annotations

import factory

from experiments.suites.models import Run, RunResult, Suite, SuiteItem, SuiteVersion
from tests.factories import VariantFactory


class SuiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suite

    slug = factory.Sequence(lambda n: f"suite-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuiteVersion

    suite = factory.SubFactory(SuiteFactory)
    number = 1
    default_grader = factory.LazyFunction(lambda: {"type": "numeric"})


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuiteItem

    version = factory.SubFactory(VersionFactory)
    external_id = factory.Sequence(lambda n: f"item-{n}")
    position = factory.Sequence(lambda n: n)
    input = factory.Sequence(lambda n: [{"role": "user", "content": f"What is {n} + 7? Compute {n} + 7."}])
    targets = factory.LazyAttribute(lambda o: [str(int(o.input[0]["content"].split("Compute ")[1].split(" +")[0]) + 7)])
    category = "math"


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    version = factory.SubFactory(VersionFactory)
    variant = factory.SubFactory(VariantFactory)
    status = "done"
    n_items = 0


class ResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RunResult

    run = factory.SubFactory(RunFactory)
    item = factory.SubFactory(ItemFactory)
    output = "The answer is 1."
    score = 1.0
    passed = True


def make_version(n: int = 6, *, slug: str | None = None, grader: dict | None = None, groups: bool = False,
                 **item_kwargs) -> SuiteVersion:
    """A version with ``n`` arithmetic items the simulator can solve (target = the true value)."""
    version = VersionFactory(**({"suite__slug": slug} if slug else {}), default_grader=grader or {"type": "numeric"},
                             item_count=n)
    for i in range(n):
        a, b = 3 + i, 4 + 2 * i
        ItemFactory(version=version, external_id=f"q{i}", position=i,
                    input=[{"role": "user", "content": f"Compute {a} * {b} + 1."}], targets=[str(a * b + 1)],
                    category="even" if i % 2 == 0 else "odd", group=f"g{i // 2}" if groups else "", **item_kwargs)
    return version
