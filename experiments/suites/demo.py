"""Demo data: two suites (arithmetic word problems, JSON extraction) with a finished run for every
demo variant.

The runs are computed WITHOUT HTTP for speed: each sample comes from
``evalhub.core.simulator.simulate_answer`` — the very function the simulator server answers with —
through the runner's own strategy code (``strategies.execute``: self-consistency votes over n
samples, reasoning budgets) and graders, so the numbers follow the world's ground truth
(SC-16 > SC-4 > base; think-8k > think-1k; DPO > SFT > base; 70B high) and the cost of test-time
compute shows. Latency is drawn like the simulator draws it.
"""

from __future__ import annotations

import math
import random

from django.utils import timezone

from evalhub.core.demo import DemoWorld
from evalhub.core.models import ModelVariant
from evalhub.core.simulator import simulate_answer
from evalhub.core.world import (
    ASSISTANT_CURRENT_EVENTS,
    ASSISTANT_ITEMS,
    ASSISTANT_LONG_CONVERSATIONS,
    ASSISTANT_NOISE,
    ASSISTANT_SUITE,
    ENDPOINT_MODELS,
    planted_accuracy,
)
from experiments.suites import graders, runner, services, strategies
from experiments.suites.models import Run, RunResult, RunSource, RunStatus, Suite, SuiteItem, SuiteVersion

ARITHMETIC_STORIES = (
    ("shopping", "A crate holds {a} boxes of {b} apples; {c} are eaten.",
     ("How many apples are left? Compute {a} * {b} - {c}.", lambda a, b, c: a * b - c),
     ("How many apples were there before any were eaten? Compute {a} * {b}.", lambda a, b, c: a * b)),
    ("travel", "A train runs {a} km an hour for {b} hours and then {c} km more.",
     ("How far does it go in total? Compute {a} * {b} + {c}.", lambda a, b, c: a * b + c),
     ("How far does it go in the first part? Compute {a} * {b}.", lambda a, b, c: a * b)),
    ("money", "Sam saves {a} dollars a week for {b} weeks, then spends {c} dollars on a bike.",
     ("How much money is left? Compute {a} * {b} - {c}.", lambda a, b, c: a * b - c),
     ("How much would be left after two more weeks? Compute {a} * {b} - {c} + {a} * 2.",
      lambda a, b, c: a * b - c + a * 2)),
    ("sharing", "{b} friends share {ab} sweets equally, and each friend then buys {c} more.",
     ("How many sweets does each friend have? Compute {ab} / {b} + {c}.", lambda a, b, c: a + c),
     ("How many sweets do they have together now? Compute {ab} + {b} * {c}.", lambda a, b, c: a * b + b * c)),
)
NAMES = ("Maria Silva", "Ana Costa", "John Smith", "Li Wei", "Fatima Khan", "Pedro Alves", "Sara Berg", "Tom Hardy",
         "Yuki Sato", "Omar Haddad", "Emma Stone", "Ravi Patel")
CITIES = ("Lisbon", "Porto", "Berlin", "Madrid", "Oslo", "Paris", "Rome", "Vienna", "New York", "Cape Town")
JSON_SCHEMAS = {
    "contact": {"type": "object", "required": ["name", "age", "city"],
                "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0},
                               "city": {"type": "string"}}},
    "order": {"type": "object", "required": ["customer", "quantity", "city"],
              "properties": {"customer": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1},
                             "city": {"type": "string"}}},
}


def arithmetic_items(rng: random.Random, n: int) -> list[SuiteItem]:
    items: list[SuiteItem] = []
    story = 0
    while len(items) < n:
        category, setup, *questions = ARITHMETIC_STORIES[story % len(ARITHMETIC_STORIES)]
        a, b, c = rng.randint(3, 40), rng.randint(2, 12), rng.randint(1, 30)
        for q, (text, answer) in enumerate(questions):
            if len(items) >= n:
                break
            values = {"a": a, "b": b, "c": c, "ab": a * b}
            prompt = f"{setup.format(**values)} {text.format(**values)}"
            items.append(SuiteItem(external_id=f"arith-{story:03d}-{q}", input=[{"role": "user", "content": prompt}],
                                   targets=[str(answer(a, b, c))], category=category, group=f"story-{story:03d}",
                                   position=len(items)))
        story += 1
    return items


def extraction_items(rng: random.Random, n: int) -> list[SuiteItem]:
    items = []
    for i in range(n):
        name, city = rng.choice(NAMES), rng.choice(CITIES)
        if i % 2 == 0:
            age = rng.randint(19, 80)
            text = rng.choice([f"{name} is {age} years old and lives in {city}.",
                               f"{name}, aged {age}, has a flat in {city}."])
            prompt = f"Extract the contact as JSON with keys name, age, city. Text: {text}"
            target, kind = {"name": name, "age": age, "city": city}, "contact"
        else:
            qty = rng.randint(1, 12)
            prompt = (f"Extract the order as JSON with keys customer, quantity, city. "
                      f"Text: {name} ordered {qty} lamps for delivery in {city}.")
            target, kind = {"customer": name, "quantity": qty, "city": city}, "order"
        items.append(SuiteItem(external_id=f"extract-{i:03d}", input=[{"role": "user", "content": prompt}],
                               targets=[target], category=kind, position=i,
                               grader={"type": "json", "schema": JSON_SCHEMAS[kind], "match_target": True}))
    return items


def _make_version(slug: str, name: str, description: str, items: list[SuiteItem], default_grader: dict) -> SuiteVersion:
    suite = Suite.objects.create(slug=slug, name=name, description=description)
    version = SuiteVersion.objects.create(suite=suite, number=1, source_format="generated", item_count=len(items),
                                          default_grader=default_grader, locked=True)
    for item in items:
        item.version = version
    SuiteItem.objects.bulk_create(items)
    return version


def simulated_sampler(variant: ModelVariant, item: SuiteItem, rng: random.Random) -> strategies.Sampler:
    """What the runner's HTTP sampler returns, computed in-process with the simulator's own function."""
    truth = ENDPOINT_MODELS[variant.endpoint_model or variant.slug]
    prompt_tokens = max(1, sum(len(str(m.get("content", ""))) for m in item.input) // 4 + 4 * len(item.input))

    def sample(i: int) -> strategies.Sample:
        answer = simulate_answer(truth.endpoint_model, item.input, rng=rng,
                                 reasoning_budget=variant.reasoning_budget_tokens)
        out = answer.completion_tokens + answer.reasoning_tokens
        latency = rng.lognormvariate(math.log(truth.latency_ms + answer.reasoning_tokens * 0.3), 0.25)
        return strategies.Sample(answer.text, prompt_tokens, out, answer.reasoning_tokens, latency, 1,
                                 variant.price_for(prompt_tokens, out))

    return sample


def simulate_run(world: DemoWorld, version: SuiteVersion, variant: ModelVariant, items: list[SuiteItem]) -> Run:
    now = timezone.now()
    run = Run.objects.create(version=version, variant=variant, status=RunStatus.RUNNING, source=RunSource.SIMULATED,
                             n_items=len(items), started_at=now, created_by=world.users.get("engineer"))
    rows = []
    for item in items:
        # Common random numbers: every variant draws from the same per-item stream, so a variant with
        # higher true accuracy is right on a superset of items (less demo noise, same expectations).
        rng = world.rng(f"suites:{version.suite.slug}:{item.external_id}")
        config = item.grader_config()
        outcome = strategies.execute(variant, item.input, config, sampler=simulated_sampler(variant, item, rng))
        grade = graders.grade(config, outcome.output, item.targets, input_messages=item.input)
        rows.append(runner.result_from(run, item, outcome, grade))
    runner.write_results(rows)
    run = services.run_finalize(run_id=run.pk)
    Run.objects.filter(pk=run.pk).update(finished_at=now + timezone.timedelta(seconds=len(items)))
    return run


ASSISTANT_TOPICS = {
    "current_events": ("Who won the most recent {x} election, and what did the result change?",
                       "What happened at this week's {x} summit?", "What is the latest news about {x} today?"),
    "coding": ("How do I parse {x} dates in Python?", "Why does my {x} loop never end?",
               "Write a function that validates a {x} identifier."),
    "writing": ("Write a short note thanking a {x} volunteer.", "Summarise the {x} meeting in three bullet points.",
                "Draft a polite reminder about the {x} deadline."),
    "general": ("Explain how {x} works to a ten-year-old.", "What are the pros and cons of {x}?",
                "Give three tips for getting started with {x}."),
}
ASSISTANT_SUBJECTS = ("solar power", "city council", "chess", "gardening", "the library", "budget", "ISO 8601",
                      "railway", "football", "vaccination", "museum", "customer")


def assistant_items(rng: random.Random) -> list[SuiteItem]:
    """The "assistant" suite of the planted failure modes (``evalhub.core.world.PLANTED_FAILURES``):
    ``ASSISTANT_CURRENT_EVENTS`` current-events questions, and ``ASSISTANT_LONG_CONVERSATIONS`` items that
    are long conversations (4–6 user turns) spread over the other categories."""
    others = [c for c in ASSISTANT_TOPICS if c != "current_events"]
    categories = ["current_events"] * ASSISTANT_CURRENT_EVENTS + [
        others[i % len(others)] for i in range(ASSISTANT_ITEMS - ASSISTANT_CURRENT_EVENTS)]
    long_at = set(rng.sample(range(ASSISTANT_CURRENT_EVENTS, ASSISTANT_ITEMS), ASSISTANT_LONG_CONVERSATIONS))
    items = []
    for i, category in enumerate(categories):
        question = rng.choice(ASSISTANT_TOPICS[category]).format(x=rng.choice(ASSISTANT_SUBJECTS))
        messages = [{"role": "user", "content": question}]
        if i in long_at:
            messages = []
            for turn in range(rng.randint(4, 6) - 1):
                messages += [{"role": "user", "content": f"Earlier question {turn + 1} about {rng.choice(ASSISTANT_SUBJECTS)}."},
                             {"role": "assistant", "content": "Here is a short answer."}]
            messages.append({"role": "user", "content": question})
        items.append(SuiteItem(external_id=f"assist-{i:04d}", input=messages, targets=["ok"], category=category,
                               position=i, grader={"type": "exact"},
                               metadata={"tags": ["demo", rng.choice(("short-answer", "open-ended"))]}))
    return items


def assistant_runs(world: DemoWorld, version: SuiteVersion) -> None:
    """A finished run per variant, each answer right with the variant's planted accuracy for the item.

    Common random numbers: one uniform draw per item decides every variant (so variants differ only
    where a failure is planted), except ``ASSISTANT_NOISE`` of answers drawn on their own.
    """
    items = list(version.items.order_by("position"))
    shared = {item.pk: world.rng(f"assistant:{item.external_id}").random() for item in items}
    now = timezone.now()
    for slug, variant in sorted(world.variants.items()):
        rng = world.rng(f"assistant:{slug}")
        run = Run.objects.create(version=version, variant=variant, status=RunStatus.RUNNING,
                                 source=RunSource.SIMULATED, n_items=len(items), started_at=now,
                                 created_by=world.users.get("engineer"))
        rows = []
        for item in items:
            turns = sum(1 for m in item.input if m.get("role") == "user")
            accuracy = planted_accuracy(slug, category=item.category, turns=turns)
            draw = rng.random() if rng.random() < ASSISTANT_NOISE else shared[item.pk]
            right = draw < accuracy
            rows.append(RunResult(run_id=run.pk, item_id=item.pk, output="ok" if right else "I am not sure.",
                                  extracted="ok" if right else "", score=1.0 if right else 0.0, passed=right,
                                  explanation="simulated", latency_ms=round(rng.lognormvariate(6.2, 0.3), 1)))
        runner.write_results(rows)
        services.run_finalize(run_id=run.pk)


def build(world: DemoWorld) -> None:
    """Three suites and a finished run of each for every demo variant (< a few seconds at scale 1)."""
    if not Suite.objects.filter(slug=ASSISTANT_SUITE).exists():
        assistant = _make_version(
            ASSISTANT_SUITE, "Assistant tasks",
            "Everyday assistant questions (coding, writing, general, current events), some as long conversations.",
            assistant_items(world.rng("suites:assistant")), {"type": "exact"})
        assistant_runs(world, assistant)
    if Suite.objects.filter(slug__in=["arithmetic", "json-extraction"]).exists():
        return
    rng = world.rng("suites")
    n_arith, n_json = max(10, round(60 * world.scale)), max(10, round(40 * world.scale))
    arithmetic = _make_version(
        "arithmetic", "Arithmetic word problems",
        "Everyday word problems with one numeric answer; graded on the final number in the answer.",
        arithmetic_items(rng, n_arith), {"type": "numeric", "abs_tol": 1e-6})
    extraction = _make_version(
        "json-extraction", "Extraction to JSON",
        "Pull the fields out of a sentence as JSON; graded on JSON validity, the schema and the values.",
        extraction_items(rng, n_json), {"type": "json"})
    for version in (arithmetic, extraction):
        items = list(version.items.select_related("version").order_by("position"))
        for variant in world.variants.values():
            simulate_run(world, version, variant, items)
