"""The common types of the leadership evidence: what every source is asked, and what it answers.

An ``EvidenceSource`` turns one app's read models into ``Evidence``: an entry per variant (placed under
``row_key`` in each variant row of the payload; variants without one get ``empty()``) and page-level
facts (placed under ``summary_key`` in the payload). Entries and facts are read models or JSON values;
the payload stores them as JSON (``evalhub.core.read_models.as_json``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from evalhub.core.read_models import VariantFacts


def _no_entry() -> None:
    return None


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
    empty: Callable[[], Any] = _no_entry  # a variant row's entry when the source has none for it
