"""Read models of judging: what other packages may know of human preference, as frozen values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evalhub.core.read_models import IntervalEstimate


@dataclass(frozen=True, slots=True)
class VariantPreference:
    """One variant's Bradley–Terry score (Elo scale) with its bootstrap interval; ``n`` its votes."""

    variant_id: int
    score: IntervalEstimate


@dataclass(frozen=True, slots=True)
class PreferenceBoard:
    """The latest overall human-preference leaderboard; empty when none has been computed."""

    computed_at: dt.datetime | None
    n_judgments: int
    variants: tuple[VariantPreference, ...] = ()
