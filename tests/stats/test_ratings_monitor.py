"""Active pair sampling and anomalous-reviewer detection."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import combine_pvalues

from evalhub.stats import StatsError
from evalhub.stats import ratings as R


def test_next_pair_probabilities_follow_the_stated_rule():
    wins = np.array([[0.0, 30.0, 2.0], [10.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    probs = R.next_pair_probabilities(wins, prior=0.01)
    assert probs.sum() == pytest.approx(1.0)
    assert np.all(np.tril(probs) == 0)
    theta = R.bradley_terry(wins, prior=0.01).theta
    weights = {}
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        p = 1 / (1 + math.exp(theta[j] - theta[i]))
        sigma, seen = p * (1 - p), wins[i, j] + wins[j, i] + 1
        weights[i, j] = math.sqrt(sigma / seen) - math.sqrt(sigma / (seen + 1))
    total = sum(weights.values())
    for (i, j), weight in weights.items():
        assert probs[i, j] == pytest.approx(weight / total, rel=1e-9)
    # The pair that never met gets the most weight; the well-measured pair the least.
    assert probs[1, 2] > probs[0, 2] > probs[0, 1]


def test_next_pair_draws_from_those_probabilities():
    wins = np.array([[0.0, 40.0, 3.0, 1.0], [35.0, 0.0, 5.0, 0.0], [2.0, 6.0, 0.0, 9.0], [2.0, 0.0, 8.0, 0.0]])
    probs = R.next_pair_probabilities(wins)
    seen = set()
    for seed in range(60):
        i, j = R.next_pair(wins, np.random.default_rng(seed))
        flat = np.random.default_rng(seed).choice(16, p=probs.ravel())
        assert (i, j) == divmod(int(flat), 4)
        assert i < j
        seen.add((i, j))
    assert len(seen) >= 4  # it really samples, not always the top pair


def voting_world(seed: int):
    """20 honest reviewers voting by a BT model with ties, one random and one adversarial."""
    rng = np.random.default_rng(seed)
    theta = np.array([1.5, 0.7, 0.0, -0.7, -1.5])
    rows = []
    for reviewer in range(22):
        a = rng.integers(0, 5, 60)
        b = (a + rng.integers(1, 5, 60)) % 5
        p = 1 / (1 + np.exp(-(theta[a] - theta[b])))
        u = rng.random(60)
        honest = np.where(u < 0.1, R.TIE, np.where(u < 0.1 + 0.9 * p, R.A_WINS, R.B_WINS))
        if reviewer == 20:
            votes = rng.integers(0, 3, 60)  # clicks at random
        elif reviewer == 21:
            votes = np.where(theta[a] > theta[b], R.B_WINS, R.A_WINS)  # always the weaker model
        else:
            votes = honest
        rows.append((np.full(60, f"r{reviewer:02d}"), a, b, votes))
    return [np.concatenate(col) for col in zip(*rows)]


def test_random_and_adversarial_reviewers_are_flagged_honest_ones_are_not():
    flagged_honest = 0
    for seed in range(5):
        reviewer, a, b, outcome = voting_world(seed)
        result = R.anomalous_reviewers(reviewer, a, b, outcome, 5, alpha=0.05)
        assert list(result.reviewers[-2:]) == ["r20", "r21"]
        assert result.flagged[-2:].all()
        flagged_honest += int(result.flagged[:20].sum())
        np.testing.assert_array_equal(result.n_votes, 60)
    assert flagged_honest <= 2  # of 100 honest reviewer-runs


def test_fisher_combination_matches_scipy_and_votes_by_hand():
    reviewer = np.array(["x", "y", "y", "z", "z", "z"])
    a = np.array([0, 0, 1, 0, 1, 0])
    b = np.array([1, 1, 0, 1, 0, 1])
    outcome = np.array([R.A_WINS, R.B_WINS, R.A_WINS, R.A_WINS, R.B_WINS, R.TIE])
    result = R.anomalous_reviewers(reviewer, a, b, outcome, 2, seed=9)
    u = 1.0 - np.random.default_rng(9).random(6)
    # Canonical pair {0, 1}; classes (0 won, 1 won, tie). Others' votes for x: y = (0, 2, 0),
    # z = (2, 0, 1) → c = (2, 2, 1); x chose "0 won": c' = (3, 2, 1), 3 votes rarer, 3 as
    # rare → p = (3 + 3u)/6. For y: others x, z → c = (3, 0, 1); both votes "1 won":
    # c' = (3, 1, 1), none rarer, 2 as rare → p = 2u/5.
    assert result.p_value[0] == pytest.approx((3 + 3 * u[0]) / 6)
    p_y = [2 * u[1] / 5, 2 * u[2] / 5]
    assert result.statistic[1] == pytest.approx(-2 * np.sum(np.log(p_y)))
    assert result.p_value[1] == pytest.approx(combine_pvalues(p_y, method="fisher").pvalue)


def test_honest_p_values_are_uniform():
    # Everyone votes from the same distribution: combined p-values should look Uniform(0, 1).
    rng = np.random.default_rng(1)
    n_votes = 8000
    a = rng.integers(0, 3, n_votes)
    b = (a + rng.integers(1, 3, n_votes)) % 3
    outcome = rng.choice([R.A_WINS, R.B_WINS, R.TIE], n_votes, p=[0.6, 0.3, 0.1])
    result = R.anomalous_reviewers(rng.integers(0, 400, n_votes), a, b, outcome, 3)
    assert 0.4 < float(np.mean(result.p_value)) < 0.6
    assert float(np.mean(result.p_value < 0.1)) < 0.16


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: R.anomalous_reviewers(["x"], [0, 1], [1, 0], [0, 0], 2), "reviewer"),
        (lambda: R.anomalous_reviewers(["x", "y"], [0, 1], [1, 0], [0, 0], 2, alpha=0.0), "alpha"),
        (lambda: R.next_pair_probabilities(np.array([[0.0, 1.0], [1.0, 0.0]]), prior=-1.0), "prior"),
    ],
)
def test_bad_monitor_input_names_the_field(call, field):
    with pytest.raises(StatsError) as err:
        call()
    assert err.value.field == field
