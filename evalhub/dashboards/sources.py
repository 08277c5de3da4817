"""The evidence sources of the leadership payload, each read through its app's selectors.

An ``EvidenceSource`` turns one app's read models into ``Evidence``: a JSON-ready entry per variant
(placed under ``row_key`` in each variant row of the payload; variants without one get ``empty``)
and page-level facts (placed under ``summary_key`` in the payload). ``SOURCES`` is the registry
``selectors.build_payload`` walks; adding a kind of evidence is one selector in the owning app and
one entry here. Every source returns empty evidence when its app holds no data, so a fresh install
renders "no data" instead of failing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from evalhub.core import selectors as core_selectors
from evalhub.core.read_models import VariantFacts
from experiments.abtests import selectors as abtests_selectors
from experiments.suites import selectors as suites_selectors
from experiments.telemetry import selectors as telemetry_selectors
from judging import selectors as judging_selectors


@dataclass(frozen=True, slots=True)
class EvidenceQuery:
    """What every source is asked for: the reporting window and the variants on the pages."""

    days: int
    variants: tuple[VariantFacts, ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One source's contribution: variant id → entry, and its page-level facts (JSON-ready or read models)."""

    by_variant: Mapping[int, Any] = field(default_factory=dict)
    summary: Any = None


@dataclass(frozen=True, slots=True)
class EvidenceSource:
    name: str
    row_key: str | None  # key of the per-variant entry in each variant row; None: page-level facts only
    summary_key: str  # key of the page-level facts in the payload
    read: Callable[[EvidenceQuery], Evidence]
    empty: Callable[[], Any] = lambda: None  # a variant row's entry when the source has none for it


def jsonable(obj: Any) -> Any:
    """Read models (frozen dataclasses), mappings and datetimes as JSON values; NaN becomes null."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    if isinstance(obj, float) and obj != obj:  # NaN is not JSON
        return None
    return obj


def variants() -> list[VariantFacts]:
    return core_selectors.variant_facts()


# ---------------------------------------------------------------- human preference (judging)


def _preference(query: EvidenceQuery) -> Evidence:
    board = judging_selectors.preference_overall()
    return Evidence({p.variant_id: p.score for p in board.variants},
                    {"computed_at": board.computed_at, "n_judgments": board.n_judgments})


# ---------------------------------------------------------------- eval suites


def _suites(query: EvidenceQuery) -> Evidence:
    by_variant: dict[int, dict[str, Any]] = {}
    names: dict[str, str] = {}
    shown = {v.id for v in query.variants}
    for s in suites_selectors.suite_scores_latest():
        if s.variant_id not in shown:
            continue
        names[s.suite_slug] = s.suite_name
        by_variant.setdefault(s.variant_id, {})[s.suite_slug] = {
            **jsonable(s.score), "suite_name": s.suite_name, "run_id": s.run_id, "version_id": s.version_id,
            "cost": jsonable(s.cost_per_item), "latency_mean_ms": s.latency_mean_ms,
        }
    return Evidence(by_variant, [{"slug": k, "name": v} for k, v in sorted(names.items())])


def paired_item_scores(run_a: int, run_b: int) -> tuple[list[float], list[float]]:
    """Scores of two runs on the items both graded, aligned by item (the verdict's paired tests)."""
    paired = suites_selectors.paired_item_scores(run_a, run_b)
    return list(paired.a), list(paired.b)


# ---------------------------------------------------------------- production (telemetry)


def _production(query: EvidenceQuery) -> Evidence:
    window = telemetry_selectors.production_by_variant(days=query.days)
    return Evidence({p.variant_id: p for p in window.variants},
                    {"start": window.start, "end": window.end, "days": window.days})


# ---------------------------------------------------------------- running experiments (abtests)


def _experiments(query: EvidenceQuery) -> Evidence:
    return Evidence(summary=abtests_selectors.experiments_running())


SOURCES: tuple[EvidenceSource, ...] = (
    EvidenceSource("human preference", "preference", "preference", _preference),
    EvidenceSource("eval suites", "suites", "suites", _suites, empty=dict),
    EvidenceSource("production", "production", "period", _production),
    EvidenceSource("running experiments", None, "experiments", _experiments),
)
