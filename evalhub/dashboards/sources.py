"""The evidence sources of the leadership payload, each read through its app's selectors.

Each source (an ``evidence.EvidenceSource``) turns one app's read models into ``Evidence``.
``SOURCES`` is the registry ``selectors.build_payload`` walks; adding a kind of evidence is one
selector in the owning app, one reader here and one entry in ``SOURCES``. Every source returns
empty evidence when its app holds no data, so a fresh install renders "no data" instead of failing.
"""

from __future__ import annotations

from typing import Any

from evalhub.core import selectors as core_selectors
from evalhub.core.read_models import VariantFacts, as_json
from evalhub.dashboards.evidence import Evidence, EvidenceQuery, EvidenceSource
from experiments.abtests import selectors as abtests_selectors
from experiments.suites import selectors as suites_selectors
from experiments.telemetry import selectors as telemetry_selectors
from judging import selectors as judging_selectors


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
            **as_json(s.score), "suite_name": s.suite_name, "run_id": s.run_id, "version_id": s.version_id,
            "cost": as_json(s.cost_per_item), "latency_mean_ms": s.latency_mean_ms,
        }
    return Evidence(by_variant, [{"slug": k, "name": v} for k, v in sorted(names.items())])


def suite_slugs() -> set[str]:
    """Every suite's slug (what a decision policy may weigh as ``suite:<slug>``)."""
    return {s.slug for s in suites_selectors.suites_list()}


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
