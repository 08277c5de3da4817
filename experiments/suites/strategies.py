"""Test-time-compute strategies, carried out the same way by the HTTP runner and the in-process demo.

A *sampler* returns one sample for sample index ``i`` (the runner calls the endpoint with a seed
derived from the item and ``i``; the demo calls ``simulate_answer``). The strategy decides how many
samples to draw and which one becomes the answer:

* greedy / sampling / reasoning: one sample (a reasoning budget travels in the request body).
* self_consistency: ``samples_n`` samples; each sample's answer is extracted with the item's grader
  (final number, letter, canonical JSON, normalised text) and the most common answer wins (ties: the
  answer seen first). Samples with no extractable answer do not vote.
* best_of_n: ``samples_n`` samples, then the variant's ``judge_variant`` picks one ("Best: k").

Tokens, latency and cost are SUMMED over every call (all samples plus the best-of-n judge call), so
the price of "thinking longer" shows. Latency is the sum too (compute time, not wall time).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from evalhub.core.models import ModelVariant, TestTimeStrategy
from experiments.suites import graders


@dataclass(frozen=True)
class Sample:
    text: str
    input_tokens: int
    output_tokens: int  # includes reasoning tokens, as billed
    reasoning_tokens: int
    latency_ms: float
    attempts: int = 1
    cost_usd: Decimal = Decimal("0")
    role: str = "sample"
    finish_reason: str = ""
    tool_calls: tuple = ()

    def as_json(self, extracted: str | None = None) -> dict:
        out = {"role": self.role, "text": self.text, "extracted": extracted, "input_tokens": self.input_tokens,
               "output_tokens": self.output_tokens, "reasoning_tokens": self.reasoning_tokens,
               "latency_ms": round(self.latency_ms, 3), "cost_usd": str(self.cost_usd), "attempts": self.attempts}
        if self.tool_calls:
            out["tool_calls"] = list(self.tool_calls)
        return out


@dataclass
class SampledAnswer:
    output: str
    extracted: str
    samples: list[Sample]
    sample_json: list[dict] = field(default_factory=list)
    chosen: Sample | None = None

    @property
    def input_tokens(self) -> int:
        return sum(s.input_tokens for s in self.samples)

    @property
    def output_tokens(self) -> int:
        return sum(s.output_tokens for s in self.samples)

    @property
    def reasoning_tokens(self) -> int:
        return sum(s.reasoning_tokens for s in self.samples)

    @property
    def latency_ms(self) -> float:
        return sum(s.latency_ms for s in self.samples)

    @property
    def cost_usd(self) -> Decimal:
        return sum((s.cost_usd for s in self.samples), Decimal("0"))

    @property
    def attempts(self) -> int:
        return sum(s.attempts for s in self.samples)


Sampler = Callable[[int], Sample]
JudgePick = Callable[[list[dict], list[Sample]], Sample]  # → the judge call's own sample (text "Best: k")

BEST_OF_SYSTEM = "You are a judge choosing the best candidate answer. Reply exactly 'Best: <number>'."
_BEST = re.compile(r"best\s*[:=]\s*(\d+)", re.IGNORECASE)


def item_seed(external_id: str, index: int) -> int:
    """A stable seed per (item, sample): a resumed run asks the endpoint exactly what it asked before."""
    return int(hashlib.sha256(f"{external_id}:{index}".encode()).hexdigest()[:8], 16)


def sample_count(variant: ModelVariant) -> int:
    if variant.test_time_strategy in {TestTimeStrategy.SELF_CONSISTENCY, TestTimeStrategy.BEST_OF_N}:
        return max(2, variant.samples_n)
    return 1


def best_of_messages(input_messages: list[dict], samples: list[Sample]) -> list[dict]:
    # The question and candidates go in the system message so that only the judge skill of a
    # simulator (and any real judge) reads them; the user turn just asks for the verdict.
    question = "\n".join(str(m.get("content", "")) for m in input_messages if m.get("role") == "user")
    candidates = "\n".join(f"Candidate {i + 1}: {s.text}" for i, s in enumerate(samples))
    return [
        {"role": "system", "content": f"{BEST_OF_SYSTEM}\nQuestion: {question}\n{candidates}"},
        {"role": "user", "content": f"Which of the {len(samples)} candidates is best? Reply 'Best: <number>'."},
    ]


def parse_best(text: str, n: int) -> int:
    match = _BEST.search(text or "")
    index = int(match.group(1)) - 1 if match else 0
    return index if 0 <= index < n else 0


def majority(answers: list[str | None]) -> int:
    """Index of the first sample carrying the most common extracted answer (None never wins)."""
    votes = Counter(a for a in answers if a is not None)
    if not votes:
        return 0
    top = max(votes.values())
    return next(i for i, a in enumerate(answers) if a is not None and votes[a] == top)


def execute(variant: ModelVariant, input_messages: list[dict], grader_config: dict, *, sampler: Sampler,
            judge_pick: JudgePick | None = None) -> SampledAnswer:
    n = sample_count(variant)
    samples = [sampler(i) for i in range(n)]
    answers = [graders.extract_answer(grader_config, s.text) for s in samples]
    sample_json = [s.as_json(a) for s, a in zip(samples, answers, strict=True)]
    chosen = 0
    if variant.test_time_strategy == TestTimeStrategy.SELF_CONSISTENCY:
        chosen = majority(answers)
    elif variant.test_time_strategy == TestTimeStrategy.BEST_OF_N:
        if judge_pick is None:
            raise ValueError("best-of-n needs a judge")
        verdict = judge_pick(input_messages, samples)
        chosen = parse_best(verdict.text, n)
        samples = [*samples, verdict]
        sample_json.append(verdict.as_json(str(chosen + 1)))
    for i, entry in enumerate(sample_json):
        entry["chosen"] = i == chosen
    return SampledAnswer(samples[chosen].text, answers[chosen] or "", samples, sample_json, samples[chosen])
