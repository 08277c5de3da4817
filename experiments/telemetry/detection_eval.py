"""Score refusal and re-ask detection on a labelled JSONL file, through the ingestion code path.

Each line is one labelled case:

* ``{"kind": "refusal", "id", "prompt", "response", "refusal": "full" | "partial" | "none"}`` — refused
  means full or partial. Optional: ``finish_reason``, ``refusal_message``, ``source``, ``language``.
* ``{"kind": "reask", "id", "previous", "prompt", "seconds_apart", "same_session", "regenerate",
  "reask": true | false}`` — a pair of user turns of one user. Optional: ``source``, ``language``.

Every case becomes events that go through ``services.derive_rows`` — the validation and derivation
step of ``events_ingest`` (refusal signals and classifier, prompt fingerprints) — and re-ask pairs
through ``services.reask_between``, the comparison ingestion makes against a session's previous
call, with this deployment's settings. Nothing is written to the database.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from evalhub.core.connector import EndpointError
from evalhub.core.models import ModelVariant
from experiments.telemetry import services
from experiments.telemetry.judge import JudgeError, judge_refusal
from experiments.telemetry.refusal import text_uncertain
from experiments.telemetry.schemas import EventIn

KINDS = ("refusal", "reask")
_EVAL_VARIANT = "detection-eval"
_T0 = datetime(2026, 1, 1, tzinfo=UTC)


class EvalFileError(Exception):
    """A line of the labelled file is malformed (names the line and the field)."""


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    overall: dict[str, Counts] = field(default_factory=dict)
    by_source: dict[tuple[str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_language: dict[tuple[str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_signal: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # refusal_source of predicted refusals
    errors: list[dict[str, Any]] = field(default_factory=list)  # misclassified cases (id, kind, expected)
    judge_calls: int = 0  # refusal judge (``--judge``): answers it read, failed calls, what they cost
    judge_failed: int = 0
    judge_cost_usd: float = 0.0

    def add(self, kind: str, case: dict[str, Any], predicted: bool, actual: bool) -> None:
        self.overall.setdefault(kind, Counts()).add(predicted, actual)
        self.by_source[(kind, str(case.get("source") or "-"))].add(predicted, actual)
        self.by_language[(kind, str(case.get("language") or guess_language(_case_text(case))))].add(predicted, actual)
        if predicted != actual:
            self.errors.append({"kind": kind, "id": case.get("id"), "expected": actual})

    def summary_line(self) -> str:
        parts = []
        for kind in KINDS:
            c = self.overall.get(kind)
            if c is not None and c.n:
                parts.append(f"{kind} precision {c.precision:.3f} recall {c.recall:.3f} f1 {c.f1:.3f} (n={c.n})")
        return "; ".join(parts)

    def table(self) -> list[str]:
        lines = [f"{'kind':8} {'group':10} {'value':52} {'n':>6} {'prec':>6} {'recall':>6} {'f1':>6}"]

        def row(kind: str, group: str, value: str, c: Counts) -> str:
            return f"{kind:8} {group:10} {value[:52]:52} {c.n:>6} {c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f}"

        for kind in KINDS:
            if kind not in self.overall:
                continue
            lines.append(row(kind, "all", "", self.overall[kind]))
            for (k, value), c in sorted(self.by_source.items()):
                if k == kind:
                    lines.append(row(kind, "source", value, c))
            for (k, value), c in sorted(self.by_language.items()):
                if k == kind:
                    lines.append(row(kind, "language", value, c))
        if self.by_signal:
            mix = ", ".join(f"{signal} {count}" for signal, count in sorted(self.by_signal.items()))
            lines.append(f"refusals decided by: {mix}")
        if self.judge_calls or self.judge_failed:
            lines.append(f"refusal judge: {self.judge_calls} answers read, {self.judge_failed} failed calls, "
                         f"cost ${self.judge_cost_usd:.4f}")
        return lines


def _case_text(case: dict[str, Any]) -> str:
    return " ".join(str(case.get(name) or "") for name in ("prompt", "response", "previous"))


# Function words by language, for a guess when a line gives no "language" (scripts decide the rest).
_FUNCTION_WORDS = {
    "en": {"the", "and", "is", "to", "of", "you", "that", "it", "can", "how", "what", "i"},
    "es": {"el", "la", "los", "las", "que", "de", "y", "es", "por", "para", "cómo", "puedo", "una", "no", "pero", "lo", "eso",
           "mis", "se", "qué"},
    "fr": {"le", "la", "les", "et", "est", "que", "de", "des", "pour", "vous", "je", "une", "pas"},
    "de": {"der", "die", "das", "und", "ist", "ich", "nicht", "sie", "ein", "eine", "zu", "mit", "wie"},
    "pt": {"o", "os", "as", "que", "de", "e", "é", "não", "para", "um", "uma", "com", "como", "você"},
    "it": {"il", "lo", "gli", "che", "di", "e", "è", "non", "per", "un", "una", "con", "come", "sono"},
    "nl": {"de", "het", "een", "en", "is", "ik", "niet", "van", "je", "dat", "met", "hoe", "kan"},
    "tr": {"bir", "ve", "bu", "için", "ile", "nasıl", "ne", "mi", "değil", "da", "de", "ben"},
}


def guess_language(text: str) -> str:
    """A coarse language guess: the script, then (Latin script) the most frequent function words."""
    counts: dict[str, int] = defaultdict(int)
    for ch in text[:400]:
        o = ord(ch)
        if 0x0400 <= o <= 0x04FF:
            counts["ru"] += 1
        elif 0x0600 <= o <= 0x06FF:
            counts["ar"] += 1
        elif 0x0900 <= o <= 0x097F:
            counts["hi"] += 1
        elif 0x3040 <= o <= 0x30FF:
            counts["ja"] += 3  # kana: Japanese even among kanji
        elif 0xAC00 <= o <= 0xD7AF:
            counts["ko"] += 1
        elif 0x4E00 <= o <= 0x9FFF:
            counts["zh"] += 1
    if counts:
        return max(counts, key=counts.__getitem__)
    words = unicodedata.normalize("NFKC", text[:600]).casefold().split()
    scores = {lang: sum(w.strip(".,;:!?¿¡\"'()") in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] else "unknown"


def read_cases(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(case, dict):
            raise EvalFileError(f"line {number}: must be a JSON object")
        kind = case.get("kind")
        if kind == "refusal":
            if case.get("refusal") not in {"full", "partial", "none"}:
                raise EvalFileError(f"line {number}: refusal must be 'full', 'partial' or 'none'")
            if not isinstance(case.get("response"), str):
                raise EvalFileError(f"line {number}: response must be a string")
        elif kind == "reask":
            if not isinstance(case.get("reask"), bool):
                raise EvalFileError(f"line {number}: reask must be true or false")
            for name in ("previous", "prompt"):
                if not isinstance(case.get(name), str):
                    raise EvalFileError(f"line {number}: {name} must be a string")
            seconds = case.get("seconds_apart", 0)
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
                raise EvalFileError(f"line {number}: seconds_apart must be a number ≥ 0")
        else:
            raise EvalFileError(f"line {number}: kind must be 'refusal' or 'reask', got {kind!r}")
        yield case


def _variant() -> dict[str, ModelVariant]:
    # An unsaved variant: the derivation step only reads its id and prices.
    return {_EVAL_VARIANT: ModelVariant(slug=_EVAL_VARIANT, price_input_per_mtok=Decimal(0),
                                        price_output_per_mtok=Decimal(0))}


def _refusal_event(case: dict[str, Any], index: int) -> EventIn:
    return EventIn(
        event_id=f"eval-{index}", timestamp=_T0, variant=_EVAL_VARIANT, prompt=case.get("prompt"),
        response=case["response"], finish_reason=case.get("finish_reason"), refusal_message=case.get("refusal_message"),
    )


def _reask_events(case: dict[str, Any], index: int) -> tuple[EventIn, EventIn]:
    user = f"eval-user-{index}"
    first_session = f"eval-session-{index}-a"
    second_session = first_session if case.get("same_session", True) else f"eval-session-{index}-b"
    previous = EventIn(event_id=f"eval-{index}-a", timestamp=_T0, variant=_EVAL_VARIANT, unit_id=user,
                       session_id=first_session, prompt=case["previous"])
    current = EventIn(event_id=f"eval-{index}-b", timestamp=_T0 + timedelta(seconds=float(case.get("seconds_apart", 0))),
                      variant=_EVAL_VARIANT, unit_id=user, session_id=second_session, prompt=case["prompt"],
                      regenerate=bool(case.get("regenerate", False)))
    return previous, current


def evaluate(cases: Iterable[dict[str, Any]], *, judge: ModelVariant | None = None, judge_scope: str = "unsure") -> Report:
    """Score the cases. ``judge``: also ask this variant, as the refusal judge would after ingestion
    (``judge_scope`` as ``TELEMETRY_REFUSAL_JUDGE_SCOPE``), over real HTTP — each answer it reads is a paid call."""
    report = Report()
    variants = _variant()
    for index, case in enumerate(cases):
        if case["kind"] == "refusal":
            (row,) = services.derive_rows([_refusal_event(case, index)], variants)
            actual = case["refusal"] in {"full", "partial"}
            refused, source = row.refused, row.refusal_source
            if judge is not None and source in ("text", "none") and (
                    judge_scope == "all" or text_uncertain(case["response"])):
                try:
                    verdict = judge_refusal(judge, case.get("prompt"), case["response"])
                except (EndpointError, JudgeError):
                    report.judge_failed += 1
                else:
                    refused, source = verdict.refused, "judge"
                    report.judge_calls += 1
                    report.judge_cost_usd += verdict.cost_usd
            report.add("refusal", case, refused, actual)
            if refused:
                report.by_signal[source] += 1
        else:
            previous, current = services.derive_rows(list(_reask_events(case, index)), variants)
            report.add("reask", case, services.reask_between(previous, current), case["reask"])
    return report
