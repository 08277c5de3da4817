"""Leaderboard snapshots: SQL counts in, Bradley–Terry boards out, stored as one JSON payload.

Why snapshots: a board over a million judgments needs a GROUP BY over the whole log, a fit, 1,000
bootstrap refits per slice and an Elo pass in time order — seconds of work. The page and the API
read only the latest ``LeaderboardSnapshot`` row (one indexed query), so they stay fast at any
volume; ``snapshot_refresh`` recomputes in the background (``judging.tasks.leaderboard_refresh_task``).

What counts: a campaign board uses that campaign's judgments; the overall board (``campaign_id=None``)
uses every campaign's judgments plus imported ``ArenaBattle`` rows. Judgments with ``excluded`` set
are always left out; identity-flagged ones are left out when their campaign says so
(``Campaign.exclude_identity_votes``, on by default); so are, on the default boards, the votes of a
reviewer the anomaly test flags in a campaign (``judging.quality``: answering at random). The
payload then also holds ``boards_with_flagged``, the same boards with them, for the page's toggle.
The three counts the pages show are defined once, in ``COUNT_DEFINITIONS``.

Disconnected comparisons: when some variants were never compared with the others, directly or
through a chain of comparisons (imported Arena models beside campaign variants), Bradley–Terry
scores of the two groups are on unrelated scales. A board then holds one sub-board per connected
group (``groups``), each ranked within itself, and ``disconnected`` says which groups and why; its
own rows are the largest group's.

Debounce: the snapshot stores a fingerprint of its inputs (row count, max id, excluded and flagged
counts, newest vote). A refresh whose fingerprint matches the latest snapshot's returns that snapshot
unchanged, so a burst of tasks after a burst of votes costs one recomputation. Excluding a reviewer
changes the fingerprint (the excluded count), so ratings follow without a new vote.

Lost refresh messages: a vote sets ``Campaign.leaderboard_refresh_pending_since`` and enqueues the
refresh only if the flag was clear (``judging.services._refresh_soon``); the task clears it. If that
message is lost (a broker restart, a worker killed before it acked) the flag would stay set and no
later vote would enqueue again. ``refresh_pending_sweep`` (on beat, every 30 s) treats a flag older
than ``PENDING_EXPIRES_S`` (60 s, twelve times the refresh countdown) as lost, sets it afresh and enqueues
the refresh, so a lost message delays a board by at most about a minute and a half and never freezes it. A
refresh that fails sets the flag again (the task cleared it first), so the sweep retries it too.

Overall board: a campaign refresh enqueues an overall refresh after it commits; that one is
debounced by its own fingerprint, so many campaign refreshes cost at most one overall recompute each.

Cost at a million votes: three scans of the judgments — the fingerprint, one GROUP BY (pair,
category, outcome, criteria) that feeds every board, and the time-ordered id list for Elo (the
last two run at once on two connections) — plus an indexed read of a hash-sampled ~30k votes
for style control, whose answer features are cached in ``CompletionStyle``.

The statistics (Bradley–Terry with its bootstrap, Elo, the style-controlled board) come from
``evalhub.stats.ratings``; this module counts, maps ids to indices and shapes JSON.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import numpy as np
import psycopg
from django.db import connection, transaction
from django.utils import timezone

from evalhub.core.models import ModelVariant
from evalhub.stats import StatsError, evalscores, ratings
from judging.models import Campaign, LeaderboardSnapshot, SnapshotKind

BOOTSTRAP_ROUNDS = 1000
MIN_BATTLES = 10  # below this a variant's row carries the low-data badge
FALLBACK_PRIOR = 0.01  # used only when the plain MLE does not exist (someone never lost / never won)
STYLE_MAX_BATTLES = 30_000  # style fit cost grows with distinct battles; see ratings.style_board
PAYLOAD_VERSION = 1
# Sorting a million battles for Elo and grouping them fit in memory with this; the default 4 MB
# spills to disk.
WORK_MEM = "128MB"
# A pending refresh normally runs within the vote countdown (5 s) plus its computation (~2 s at a
# million votes); a flag this old means its message was lost. Generous, so a refresh merely queued
# behind busy workers is rarely sent twice (a second one is cheap anyway: the fingerprint matches).
PENDING_EXPIRES_S = 60
T = TypeVar("T")

# One sentence per count the judging and leadership pages show (same words everywhere).
COUNT_DEFINITIONS = {
    "judgments": "Judgments: every vote reviewers cast in a campaign, stored as cast — gold checks, excluded "
                 "reviewers and identity-flagged votes included.",
    "votes": "Votes counted: the judgments the ratings use (without excluded reviewers, identity-flagged votes "
             "and, by default, reviewers flagged as answering at random), plus imported Arena battles on the "
             "overall board.",
    "comparisons": "Comparisons counted: for one variant, the counted votes in which it was one of the two answers.",
}

OUTCOME_CODE = {"a": ratings.A_WINS, "b": ratings.B_WINS, "tie": ratings.TIE, "both_bad": ratings.TIE_BOTH_BAD}
_OUTCOME_SQL = "CASE {col} WHEN 'a' THEN 0 WHEN 'b' THEN 1 WHEN 'tie' THEN 2 ELSE 3 END"

# Style features per completion, computed in SQL so no answer text is loaded into Python, and cached
# in judging_completionstyle (see CompletionStyle). Patterns follow the Arena style-control notebook:
# markdown headers, list items and bold spans, counted per answer.
_FEATURES_FILL_SQL = r"""
    INSERT INTO judging_completionstyle (completion_id, length, headers, lists, bold)
    SELECT o.id, char_length(o.output),
           CASE WHEN strpos(o.output, '#') > 0 THEN regexp_count(o.output, '^#{{1,6}}\s', 1, 'n') ELSE 0 END,
           regexp_count(o.output, '^\s*([-*+]|\d+\.)\s', 1, 'n'),
           CASE WHEN strpos(o.output, '**') > 0 THEN regexp_count(o.output, '\*\*[^*\n]+\*\*') ELSE 0 END
    FROM core_completion o
    WHERE o.id IN (SELECT completion_a_id FROM judging_comparison cmp {where}
                   UNION SELECT completion_b_id FROM judging_comparison cmp {where})
      AND NOT EXISTS (SELECT 1 FROM judging_completionstyle s WHERE s.completion_id = o.id)
    ON CONFLICT (completion_id) DO NOTHING
"""


# --------------------------------------------------------------------------------------------- SQL


def _eligible_sql(campaign_id: int | None, skip: tuple[tuple[int, int], ...] = ()) -> tuple[str, list]:
    """WHERE clause over judging_judgment j joined to judging_campaign c: the votes that count.
    ``skip``: (campaign id, reviewer id) pairs whose votes are left out (flagged reviewers)."""
    sql = "j.excluded = FALSE AND (j.identity_flag = FALSE OR c.exclude_identity_votes = FALSE)"
    params: list = []
    if campaign_id is not None:
        sql += " AND j.campaign_id = %s"
        params.append(campaign_id)
    if skip:
        sql += (" AND (j.campaign_id, j.reviewer_id) NOT IN "
                "(SELECT * FROM unnest(%s::bigint[], %s::bigint[]))")
        params += [[c for c, _ in skip], [r for _, r in skip]]
    return sql, params


def flagged_reviewers(campaign_id: int | None) -> tuple[tuple[int, int], ...]:
    """(campaign id, reviewer id) of reviewers the anomaly test flags in a campaign of the scope:
    their votes look like random clicks (``judging.quality``). Excluded reviewers are out anyway."""
    from judging.quality import campaign_quality  # quality reads this module's outcome codes

    campaigns = Campaign.objects.all() if campaign_id is None else Campaign.objects.filter(pk=campaign_id)
    found = []
    for campaign in campaigns.order_by("pk"):
        found += [(campaign.pk, r.reviewer_id) for r in campaign_quality(campaign).reviewers
                  if r.flagged and not r.excluded]
    return tuple(found)


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fingerprint(campaign_id: int | None) -> dict:
    """Cheap summary of the inputs; equal fingerprints mean an equal board."""
    where = "" if campaign_id is None else "WHERE campaign_id = %s"
    params = [] if campaign_id is None else [campaign_id]
    row = _fetch(
        f"""SELECT count(*), coalesce(max(id), 0), count(*) FILTER (WHERE excluded),
                   count(*) FILTER (WHERE identity_flag), max(created_at)
            FROM judging_judgment {where}""",
        params,
    )[0]
    result = {"judgments": row[0], "max_id": row[1], "excluded": row[2], "flagged": row[3],
              "latest": row[4].isoformat() if row[4] else None}
    if campaign_id is None:
        arena = _fetch("SELECT count(*), coalesce(max(id), 0) FROM judging_arenabattle", [])[0]
        result.update(arena=arena[0], arena_max_id=arena[1])
    else:
        # The campaign's identity policy changes which rows count.
        result["identity_policy"] = bool(
            Campaign.objects.filter(pk=campaign_id).values_list("exclude_identity_votes", flat=True).first()
        )
    return result


def _all_cells(campaign_id: int | None, n_votes: int, skip: tuple[tuple[int, int], ...] = (),
               *, style: bool = True) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The count tables every board needs: (pair rows, criterion rows, style rows).

      pair rows      (a, b, outcome code, category, count)       + imported arena battles (overall)
      criterion rows (a, b, answer code, criterion name, count)  from Judgment.criteria {name: a|b|tie}
      style rows     (a, b, outcome code, len_a, len_b, headers_a, headers_b, lists_a, lists_b,
                      bold_a, bold_b, count)

    One scan groups the votes by (pair, category, outcome, criteria) — a few thousand rows however
    many votes; criteria JSON is split in Python from those few rows. Style needs each vote's own
    answers, i.e. a row per comparison, so it reads a hash-sampled subset of comparisons holding
    about ``STYLE_MAX_BATTLES`` votes through the judgment→comparison index (a cluster sample by
    comparison: unbiased, and cheap at any volume).
    """
    where, params = _eligible_sql(campaign_id, skip)
    grouped = _fetch(
        f"""SELECT j.variant_a_id, j.variant_b_id, {_OUTCOME_SQL.format(col='j.outcome')}, j.category,
                   CASE WHEN j.criteria = '{{}}'::jsonb THEN '' ELSE j.criteria::text END, count(*)
            FROM judging_judgment j JOIN judging_campaign c ON c.id = j.campaign_id
            WHERE {where} GROUP BY 1, 2, 3, 4, 5""",
        params,
    )
    pairs_acc: dict[tuple, int] = defaultdict(int)
    criteria_acc: dict[tuple, int] = defaultdict(int)
    parsed: dict[str, dict] = {}
    for a, b, code, category, criteria, n in grouped:
        pairs_acc[(a, b, code, category)] += n
        if criteria:
            answers = parsed.get(criteria)
            if answers is None:
                answers = parsed[criteria] = json.loads(criteria)
            for name, answer in (answers.items() if isinstance(answers, dict) else ()):
                if answer in ("a", "b", "tie"):
                    criteria_acc[(a, b, OUTCOME_CODE[answer], str(name))] += n
    if campaign_id is None:
        for a, b, code, category, n in _fetch(
                f"""SELECT model_a_id, model_b_id, {_OUTCOME_SQL.format(col='winner')}, category, count(*)
                    FROM judging_arenabattle GROUP BY 1, 2, 3, 4""", []):
            pairs_acc[(a, b, code, category)] += n
    pairs = [(*key, n) for key, n in pairs_acc.items()]
    criteria_rows = [(*key, n) for key, n in criteria_acc.items()]
    return pairs, criteria_rows, _style_rows(campaign_id, n_votes, skip) if style else []


def _style_rows(campaign_id: int | None, n_votes: int, skip: tuple[tuple[int, int], ...] = ()) -> list[tuple]:
    fraction = 1.0 if n_votes <= STYLE_MAX_BATTLES else STYLE_MAX_BATTLES / n_votes
    cmp_where = "" if campaign_id is None else "AND cmp.campaign_id = %s"
    cmp_params = [] if campaign_id is None else [campaign_id]
    # Fibonacci hashing of the id: a fixed, well-spread sample, so reloads show the same board.
    sample = f"mod(cmp.id * 2654435761, 4294967296) < {int(fraction * 4294967296)}"
    with connection.cursor() as cursor:
        cursor.execute(_FEATURES_FILL_SQL.format(where=f"WHERE {sample} {cmp_where}"), cmp_params * 2)
    where, params = _eligible_sql(campaign_id, skip)
    return _fetch(
        f"""SELECT cmp.variant_a_id, cmp.variant_b_id, {_OUTCOME_SQL.format(col='j.outcome')},
                   fa.length, fb.length, fa.headers, fb.headers, fa.lists, fb.lists, fa.bold, fb.bold, count(*)
            FROM judging_comparison cmp
                 JOIN judging_judgment j ON j.comparison_id = cmp.id
                 JOIN judging_campaign c ON c.id = j.campaign_id
                 JOIN judging_completionstyle fa ON fa.completion_id = cmp.completion_a_id
                 JOIN judging_completionstyle fb ON fb.completion_id = cmp.completion_b_id
            WHERE {sample} {cmp_where} AND {where}
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11""",
        cmp_params + params,
    )


def _ordered_battles(campaign_id: int | None, skip: tuple[tuple[int, int], ...] = ()) -> np.ndarray:
    """(3, N) int array of (a, b, outcome) in time order, for Elo. Only ints leave the database."""
    where, params = _eligible_sql(campaign_id, skip)
    sql = f"""
        SELECT j.created_at AS t, j.id AS k, j.variant_a_id AS a, j.variant_b_id AS b,
               {_OUTCOME_SQL.format(col='j.outcome')} AS o
        FROM judging_judgment j JOIN judging_campaign c ON c.id = j.campaign_id WHERE {where}"""
    if campaign_id is None:
        sql += f"""
        UNION ALL
        SELECT coalesce(tstamp, '-infinity'::timestamptz), -id, model_a_id, model_b_id,
               {_OUTCOME_SQL.format(col='winner')} FROM judging_arenabattle"""
    # One bigint array, one sort: a·2³⁴ + b·4 + outcome (ids < 2²⁹), fetched in binary, so a million
    # battles cost one in-memory sort and a memcpy-like decode instead of a million Python tuples.
    sql = (f"SELECT array_agg((a::bigint << 34) | (b::bigint << 2) | o ORDER BY t, k) FROM ({sql}) s")
    with connection.cursor() as cursor, psycopg.Cursor(cursor.connection) as raw:
        # Django's cursors bind client-side, which cannot return binary; a plain psycopg cursor can.
        raw.execute(sql, params, binary=True)
        row = raw.fetchone()
    if not row or row[0] is None:
        return np.zeros((3, 0), dtype=np.int64)
    code = np.asarray(row[0], dtype=np.int64)
    return np.vstack([code >> 34, (code >> 2) & ((1 << 32) - 1), code & 3])


# ---------------------------------------------------------------------------------------- boards


@dataclass(frozen=True)
class Cells:
    """Aggregated battles: parallel int arrays a, b, outcome code and count."""

    a: np.ndarray
    b: np.ndarray
    outcome: np.ndarray
    count: np.ndarray

    @classmethod
    def from_rows(cls, rows: list[tuple]) -> Cells:
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, empty)
        arr = np.array([(r[0], r[1], r[2], r[-1]) for r in rows], dtype=np.int64)
        return cls(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])

    @property
    def total(self) -> int:
        return int(self.count.sum())


def _win_rate_intervals(win_rate: np.ndarray, wins: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 95% Wilson interval of each observed win rate at its number of battles (NaN where a pair never met).

    A tie counts ½, so the rate is a mean of scores in {0, ½, 1} whose variance is at most the Bernoulli one:
    ``evalscores.bounded_interval`` at se = 0 gives the Wilson interval at p̂ and n (exactly statsmodels'
    ``proportion_confint(w + t/2, n, method="wilson")``), never zero width and never outside [0, 1]."""
    met = np.rint(wins + wins.T).astype(int)
    lower = np.full(win_rate.shape, np.nan)
    upper = np.full(win_rate.shape, np.nan)
    for i, j in zip(*np.nonzero(met > 0), strict=True):
        lower[i, j], upper[i, j] = evalscores.bounded_interval(float(win_rate[i, j]), 0.0, int(met[i, j]))
    return lower, upper, met


def _nan_to_none(matrix: np.ndarray) -> list[list[float | None]]:
    return [[None if not math.isfinite(v) else round(float(v), 6) for v in row] for row in matrix]


def components(cells: Cells) -> list[list[int]]:
    """Variant ids grouped by the comparison graph's connected components (two variants are
    connected when a vote compared them, or a chain of votes does), largest group (by votes) first."""
    parent: dict[int, int] = {}

    def root(v: int) -> int:
        while parent.setdefault(v, v) != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for a, b in zip(cells.a.tolist(), cells.b.tolist()):
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for v in sorted(parent):
        groups[root(v)].append(v)
    votes: dict[int, int] = defaultdict(int)
    for a, n in zip(cells.a.tolist(), cells.count.tolist()):
        votes[root(a)] += n
    return [groups[r] for r in sorted(groups, key=lambda r: (-votes[r], groups[r][0]))]


def _subset(cells: Cells, ids: list[int]) -> Cells:
    keep = np.isin(cells.a, ids)
    return Cells(cells.a[keep], cells.b[keep], cells.outcome[keep], cells.count[keep])


def compute_board(cells: Cells, variants: dict[int, dict], *, label: str, rounds: int = BOOTSTRAP_ROUNDS,
                  elo: dict[int, float] | None = None, seed: int = 0) -> dict:
    """One board from aggregated cells; ``variants`` maps variant id → {"slug", "name"}.

    A disconnected comparison graph gives one sub-board per group (``groups``), each ranked within
    itself, and the reason in ``disconnected``; the board's own rows are the largest group's.

    The cells expand to a battle log (``np.repeat``) so the stats engine's own ``pair_counts`` and
    ``tie_counts`` build the table; the cost is a bincount over the battles, small beside the SQL.
    """
    groups = components(cells)
    if len(groups) > 1:
        subs = [compute_board(_subset(cells, ids), variants, label=f"{label}, group {k}", rounds=rounds, elo=elo,
                              seed=seed) for k, ids in enumerate(groups, start=1)]
        names = [", ".join(variants.get(v, {"slug": f"#{v}"})["slug"] for v in ids) for ids in groups]
        board = dict(subs[0], label=label, n_battles=cells.total, groups=subs)
        board["disconnected"] = (
            "The comparison graph is disconnected: " + " | ".join(f"group {k}: {n}" for k, n in enumerate(names, 1))
            + ". No vote compared a variant of one group with one of another, directly or through other variants, "
            "so their scores are on unrelated scales: each group is ranked on its own board.")
        return board
    ids = sorted({int(v) for v in np.r_[cells.a, cells.b]})
    board: dict = {"label": label, "n_battles": cells.total, "rows": [], "variants": [],
                   "win_rate": [], "predicted": [], "error": None, "regularised": False}
    if len(ids) < 2:
        board["error"] = "needs battles between at least two variants"
        return board
    index = {vid: i for i, vid in enumerate(ids)}
    to_idx = np.vectorize(index.__getitem__, otypes=[np.int64])
    a = np.repeat(to_idx(cells.a), cells.count)
    b = np.repeat(to_idx(cells.b), cells.count)
    o = np.repeat(cells.outcome, cells.count)
    n = len(ids)
    wins = ratings.pair_counts(a, b, o, n)
    ties = ratings.tie_counts(a, b, o, n)
    prior = 0.0
    try:
        fit = ratings.bradley_terry(wins, ties=ties, min_battles=MIN_BATTLES)
    except StatsError:
        # No finite MLE (a variant never lost or never won): a weak N(0, 100) prior on the
        # log-strengths keeps scores finite; the board says so.
        prior = FALLBACK_PRIOR
        fit = ratings.bradley_terry(wins, ties=ties, prior=prior, min_battles=MIN_BATTLES)
        board["regularised"] = True
    boot = ratings.bootstrap_ci(wins, ties=ties, rounds=rounds, seed=seed, prior=prior)
    if not boot.enough_data and prior == 0.0:
        # The MLE exists, but too many bootstrap rounds have none (a variant that barely ever lost
        # or won): the interval would be unbounded. The same weak prior bounds it; the board says so.
        prior = FALLBACK_PRIOR
        fit = ratings.bradley_terry(wins, ties=ties, prior=prior, min_battles=MIN_BATTLES)
        board["regularised"] = True
        boot = ratings.bootstrap_ci(wins, ties=ties, rounds=rounds, seed=seed, prior=prior)
    sandwich = ratings.sandwich_ci(wins, ties=ties, prior=prior)
    problem = boot.not_enough_data or sandwich.not_enough_data
    if problem:
        board["error"] = f"not enough data to rank the variants: {problem}"
        return board
    ranks = ratings.rank_intervals(boot.lower, boot.upper)
    win_rate = ratings.win_rate_matrix(wins)
    predicted = ratings.predicted_win_matrix(fit.scores)
    decisive = wins - 0.5 * ties
    order = np.argsort(-fit.scores, kind="stable")
    for i in order:
        vid = ids[i]
        meta = variants.get(vid, {"slug": f"#{vid}", "name": f"variant {vid}"})
        board["rows"].append({
            "variant_id": vid, "slug": meta["slug"], "name": meta["name"],
            "score": round(float(fit.scores[i]), 2),
            "ci_lower": round(float(boot.lower[i]), 2), "ci_upper": round(float(boot.upper[i]), 2),
            "sandwich_lower": round(float(sandwich.lower[i]), 2), "sandwich_upper": round(float(sandwich.upper[i]), 2),
            "rank_best": int(ranks[i, 0]), "rank_worst": int(ranks[i, 1]),
            "elo": None if elo is None or vid not in elo else round(elo[vid], 1),
            "votes": int(round(float(fit.n_battles[i]))),
            "wins": int(round(float(decisive[i].sum()))), "losses": int(round(float(decisive[:, i].sum()))),
            "ties": int(round(float(ties[i].sum()))),
            "low_data": bool(fit.low_data[i]),
        })
        board["variants"].append({"id": vid, "slug": meta["slug"], "name": meta["name"]})
    board["win_rate"] = _nan_to_none(win_rate[np.ix_(order, order)])
    lower, upper, met = _win_rate_intervals(win_rate, wins)
    board["win_rate_lower"] = _nan_to_none(lower[np.ix_(order, order)])
    board["win_rate_upper"] = _nan_to_none(upper[np.ix_(order, order)])
    board["win_rate_n"] = [[int(x) for x in row] for row in met[np.ix_(order, order)]]
    board["predicted"] = _nan_to_none(predicted[np.ix_(order, order)])
    board["bootstrap_dropped"] = int(boot.n_dropped)
    return board


def compute_elo(battles: np.ndarray, variant_ids: list[int]) -> dict[int, float]:
    """Online Elo over (a, b, outcome) rows already in time order; returns variant id → rating.

    ``variant_ids`` are every id that occurs (known from the count tables), so a million battles
    map to indices by binary search instead of another sort.
    """
    if battles.shape[1] == 0:
        return {}
    ids = np.array(sorted(variant_ids), dtype=np.int64)
    index = np.searchsorted(ids, battles[:2])
    values = ratings.elo(index[0], index[1], battles[2], len(ids))
    return {int(vid): float(v) for vid, v in zip(ids, values)}


def _finite(value: float, digits: int) -> float | None:
    """A rounded float for a snapshot's JSON, or None for NaN / infinity (not an estimate)."""
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def compute_style_board(rows: list[tuple], variants: dict[int, dict], *, seed: int = 0) -> dict:
    """The style-controlled board (``ratings.style_board``) from ``_style_rows`` as JSON."""
    result: dict = {"rows": [], "coef": {}, "n_battles": 0, "subsampled": False, "n_fitted": 0, "error": None}
    board = ratings.style_board(np.array(rows, dtype=np.float64) if rows else np.empty((0, 12)), seed=seed,
                                max_battles=STYLE_MAX_BATTLES, fallback_prior=FALLBACK_PRIOR)
    result.update(n_battles=board.n_battles, subsampled=board.subsampled, n_fitted=board.n_fitted, error=board.problem)
    if board.problem is not None:
        return result
    result["ci_error"] = board.ci_problem
    for rank, (vid, score) in enumerate(zip(board.variant_ids, board.scores), start=1):
        meta = variants.get(vid, {"slug": f"#{vid}", "name": f"variant {vid}"})
        lower = None if board.lower is None else _finite(board.lower[rank - 1], 2)
        upper = None if board.upper is None else _finite(board.upper[rank - 1], 2)
        result["rows"].append({"variant_id": vid, "slug": meta["slug"], "name": meta["name"],
                               "score": _finite(score, 2), "rank": rank, "ci_lower": lower, "ci_upper": upper})
    # A coefficient's SE is NaN when its covariance estimate is not positive (a handful of battles): stored as
    # null — PostgreSQL's json type has no NaN, and one NaN would fail the whole snapshot.
    result["coef"] = {name: {"coef": _finite(c, 4), "se": _finite(se, 4)}
                      for name, c, se in zip(board.features, board.coef, board.coef_se)}
    return result


def _split(rows: list[tuple], key_index: int) -> dict[str, list[tuple]]:
    groups: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        groups[row[key_index] or ""].append(row)
    return groups


def _merge(rows: list[tuple]) -> Cells:
    """Sum counts over everything but (a, b, outcome)."""
    acc: dict[tuple[int, int, int], int] = defaultdict(int)
    for row in rows:
        acc[(row[0], row[1], row[2])] += row[-1]
    return Cells.from_rows([(a, b, o, c) for (a, b, o), c in acc.items()])


def compute_payload(campaign_id: int | None, *, rounds: int = BOOTSTRAP_ROUNDS, n_votes: int = 0) -> dict:
    """Every board of one scope (a campaign, or overall) as a JSON-ready dict.

    ``n_votes`` (from the fingerprint) sizes the style sample; 0 means "read every comparison".
    """
    started = time.perf_counter()
    skip = flagged_reviewers(campaign_id)
    (pair_rows, criterion_rows, style_rows), ordered = _concurrently(
        lambda: _all_cells(campaign_id, n_votes, skip), lambda: _ordered_battles(campaign_id, skip))
    variant_ids = {r[0] for r in pair_rows} | {r[1] for r in pair_rows}
    variants = {v["id"]: v for v in ModelVariant.objects.filter(pk__in=variant_ids).values("id", "slug", "name")}
    elo = compute_elo(ordered, sorted(variant_ids))
    boards, categories, criteria = _boards(pair_rows, criterion_rows, variants, rounds=rounds, elo=elo)
    style = compute_style_board(style_rows, variants)
    n_judgments = sum(r[-1] for r in pair_rows)
    payload = {
        "version": PAYLOAD_VERSION,
        "campaign_id": campaign_id,
        "n_votes": int(n_judgments),
        "rounds": rounds,
        "boards": boards,
        "categories": categories,
        "criteria": criteria,
        "style": style,
        "flagged_reviewers": len(skip),
        "definitions": COUNT_DEFINITIONS,
    }
    if skip:
        # The toggle "include reviewers flagged as random": the same boards with their votes.
        with_rows, with_criteria, _ = _all_cells(campaign_id, n_votes, (), style=False)
        with_ids = {r[0] for r in with_rows} | {r[1] for r in with_rows}
        with_variants = {v["id"]: v for v in ModelVariant.objects.filter(pk__in=with_ids).values("id", "slug", "name")}
        with_elo = compute_elo(_ordered_battles(campaign_id), sorted(with_ids))
        payload["boards_with_flagged"], _, _ = _boards(with_rows, with_criteria, with_variants, rounds=rounds,
                                                       elo=with_elo)
        payload["n_votes_with_flagged"] = int(sum(r[-1] for r in with_rows))
    payload["seconds"] = round(time.perf_counter() - started, 3)
    return payload


def _boards(pair_rows: list[tuple], criterion_rows: list[tuple], variants: dict[int, dict], *, rounds: int,
            elo: dict[int, float] | None) -> tuple[dict, list[str], list[str]]:
    """The all-votes board, one per category and one per criterion."""
    boards = {"all": compute_board(_merge(pair_rows), variants, label="All votes", rounds=rounds, elo=elo)}
    by_category = _split(pair_rows, 3)
    categories = sorted(c for c in by_category if c)
    for name in categories:
        boards[f"category:{name}"] = compute_board(_merge(by_category[name]), variants,
                                                   label=f"Category: {name}", rounds=rounds)
    by_criterion = _split(criterion_rows, 3)
    criteria = sorted(c for c in by_criterion if c)
    for name in criteria:
        boards[f"criterion:{name}"] = compute_board(_merge(by_criterion[name]), variants,
                                                    label=f"Criterion: {name}", rounds=rounds)
    return boards, categories, criteria


def _in_own_connection(fn: Callable[[], T]) -> T:
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET work_mem = '{WORK_MEM}'")
        return fn()
    finally:
        connection.close()  # this thread's connection; the main thread's is untouched


def _concurrently(*fns: Callable[[], T]) -> list[T]:
    """Run the big scans on separate connections at once (PostgreSQL uses a core per query).

    Inside an open transaction (a caller's atomic block, or a test) other connections cannot see
    its uncommitted rows, so the scans then run one after the other on the caller's connection.
    """
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        return [fn() for fn in fns]
    with ThreadPoolExecutor(max_workers=len(fns)) as pool:
        return [future.result() for future in [pool.submit(_in_own_connection, fn) for fn in fns]]


# -------------------------------------------------------------------------------------- service


def latest_snapshot(campaign_id: int | None) -> LeaderboardSnapshot | None:
    """The newest snapshot of a scope: one indexed query (``snapshot_latest_idx``)."""
    return (LeaderboardSnapshot.objects.filter(campaign_id=campaign_id, kind=SnapshotKind.BT)
            .order_by("-computed_at", "-id").first())


def snapshot_refresh(*, campaign_id: int | None, force: bool = False, rounds: int = BOOTSTRAP_ROUNDS,
                     cascade: bool = True) -> LeaderboardSnapshot:
    """Recompute a scope's boards unless its inputs are unchanged since the latest snapshot.

    ``cascade``: after a campaign refresh commits, enqueue the overall refresh (debounced itself).
    """
    if campaign_id is not None and not Campaign.objects.filter(pk=campaign_id).exists():
        raise Campaign.DoesNotExist(f"campaign {campaign_id} does not exist")
    state = fingerprint(campaign_id)
    previous = latest_snapshot(campaign_id)
    if not force and previous is not None and previous.payload.get("fingerprint") == state \
            and previous.payload.get("rounds") == rounds:
        return previous
    payload = compute_payload(campaign_id, rounds=rounds, n_votes=state["judgments"])
    payload["fingerprint"] = state
    now = timezone.now()
    payload["computed_at"] = now.isoformat()
    payload["latest_vote_at"] = state["latest"]
    with transaction.atomic():
        snapshot = LeaderboardSnapshot.objects.create(
            campaign_id=campaign_id, kind=SnapshotKind.BT, computed_at=now, payload=payload,
            n_judgments=payload["n_votes"],
        )
        # Keep a short history (for "what changed"), not one row per refresh forever.
        stale = list(LeaderboardSnapshot.objects.filter(campaign_id=campaign_id, kind=SnapshotKind.BT)
                     .order_by("-computed_at", "-id").values_list("id", flat=True)[10:])
        if stale:
            LeaderboardSnapshot.objects.filter(pk__in=stale).delete()
        if cascade and campaign_id is not None:
            from judging.tasks import leaderboard_refresh_task

            transaction.on_commit(lambda: leaderboard_refresh_task.delay(campaign_id=None))
    return snapshot


_SWEEP_SQL = """
UPDATE judging_campaign SET leaderboard_refresh_pending_since = %(now)s
WHERE leaderboard_refresh_pending_since < %(cutoff)s
RETURNING id
"""


def refresh_pending_sweep(*, now: datetime | None = None, expires_s: float = PENDING_EXPIRES_S) -> list[int]:
    """Re-enqueue the refresh of every campaign whose pending flag is older than ``expires_s``.

    One UPDATE … RETURNING takes the stale flags and stamps them ``now``: two concurrent sweeps
    cannot both take a campaign (the second re-checks the row after the first commits and finds a
    fresh flag), and votes keep being debounced by the renewed flag. Returns the campaign ids.
    """
    from judging.tasks import leaderboard_refresh_task

    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_SWEEP_SQL, {"now": now, "cutoff": now - timedelta(seconds=expires_s)})
        ids = sorted(row[0] for row in cursor.fetchall())
        for campaign_id in ids:
            transaction.on_commit(lambda campaign_id=campaign_id: leaderboard_refresh_task.delay(
                campaign_id=campaign_id))
    return ids
