"""Read models of judging: what other packages may know of human preference, as frozen values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from evalhub.core.read_models import Estimate


@dataclass(frozen=True, slots=True)
class VariantPreference:
    """One variant's Bradley–Terry score (Elo scale) with its bootstrap interval; ``n`` its votes."""

    variant_id: int
    score: Estimate


@dataclass(frozen=True, slots=True)
class PreferenceBoard:
    """The latest overall human-preference leaderboard; empty when none has been computed."""

    computed_at: dt.datetime | None
    n_judgments: int
    variants: tuple[VariantPreference, ...] = ()


# ---------------------------------------------------------------- leaderboards (the page's and the API's shape)


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One variant on a board: BT score (Elo scale) with bootstrap and sandwich 95% intervals, the rank
    interval, and its record. Fields a snapshot of an older format lacks are ``None``."""

    variant_id: int
    slug: str
    name: str
    score: float
    ci_lower: float | None = None
    ci_upper: float | None = None
    sandwich_lower: float | None = None
    sandwich_upper: float | None = None
    rank_best: int | None = None
    rank_worst: int | None = None
    elo: float | None = None
    votes: int | None = None
    wins: int | None = None
    losses: int | None = None
    ties: int | None = None
    low_data: bool = False


@dataclass(frozen=True, slots=True)
class BoardVariant:
    id: int
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Board:
    """A leaderboard of one slice; ``win_rate``/``predicted`` are matrices in the rows' order (null: no battles)."""

    label: str
    n_battles: int
    rows: tuple[BoardRow, ...] = ()
    variants: tuple[BoardVariant, ...] = ()
    win_rate: tuple[tuple[float | None, ...], ...] = ()
    # The observed win rate's 95% Wilson interval and battles per pair (empty on snapshots computed before them).
    win_rate_lower: tuple[tuple[float | None, ...], ...] = ()
    win_rate_upper: tuple[tuple[float | None, ...], ...] = ()
    win_rate_n: tuple[tuple[int, ...], ...] = ()
    predicted: tuple[tuple[float | None, ...], ...] = ()
    error: str | None = None
    regularised: bool = False
    bootstrap_dropped: int | None = None
    # A disconnected comparison graph: one board per connected group, each ranked within itself, and why.
    groups: tuple[Board, ...] = ()
    disconnected: str | None = None


@dataclass(frozen=True, slots=True)
class StyleRow:
    variant_id: int
    slug: str
    name: str
    score: float
    rank: int
    ci_lower: float | None = None
    ci_upper: float | None = None


@dataclass(frozen=True, slots=True)
class StyleCoefficient:
    coef: float
    se: float


@dataclass(frozen=True, slots=True)
class StyleBoard:
    """Style-controlled BT: scores net of length and markdown, and each style feature's coefficient."""

    rows: tuple[StyleRow, ...] = ()
    coef: dict[str, StyleCoefficient] = field(default_factory=dict)
    n_battles: int = 0
    subsampled: bool = False
    n_fitted: int = 0
    error: str | None = None
    ci_error: str | None = None


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """The latest snapshot's board for a scope (``campaign`` slug, ``None`` = overall) and slice
    (``board_key``: ``all``, ``category:<name>`` or ``criterion:<name>``); ``message`` says why there is none."""

    campaign: str | None
    computed_at: str | None
    n_votes: int
    n_judgments: int | None
    n_arena_battles: int
    flagged_reviewers: int
    include_flagged: bool
    definitions: dict[str, str]
    rounds: int | None
    board_key: str
    board: Board | None
    style: StyleBoard | None
    categories: tuple[str, ...]
    criteria: tuple[str, ...]
    message: str
