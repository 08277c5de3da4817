from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from statsmodels.stats import inter_rater
from statsmodels.stats.proportion import proportion_confint

from evalhub.stats import StatsError
from evalhub.stats.agreement import (
    cohen_kappa,
    consensus_agreement,
    fleiss_kappa,
    krippendorff_alpha,
    krippendorff_alpha_from_counts,
    wilson_interval,
)

NAN = math.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers x 12
# units, values 1..5, missing data. The paper reports nominal α = 0.743, ordinal α = 0.815 and
# interval α = 0.849 for these data.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]

# Wikipedia, "Krippendorff's alpha", computational example: 3 coders x 15 units; α_nominal =
# 0.691 (= 56/81) and α_interval = 0.811.
WIKIPEDIA_ALPHA = [
    [NAN, NAN, NAN, NAN, NAN, 3, 4, 1, 2, 1, 1, 3, 3, NAN, 3],
    [1, NAN, 2, 1, 3, 3, 4, 3, NAN, NAN, NAN, NAN, NAN, NAN, NAN],
    [NAN, NAN, 2, 1, 3, 4, 4, NAN, 2, 1, 1, 3, 3, NAN, 4],
]

# Fleiss (1971) as reproduced on Wikipedia ("Fleiss' kappa", worked example): 10 items, 14 raters,
# 5 categories; P̄ = 0.378, P̄_e = 0.213, κ = 0.210.
FLEISS_EXAMPLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def _contingency(r1: list[int], r2: list[int], k: int) -> np.ndarray:
    table = np.zeros((k, k))
    for x, y in zip(r1, r2):
        table[x, y] += 1
    return table


# --- Cohen's kappa -----------------------------------------------------------------------------


def test_cohen_kappa_textbook_example() -> None:
    # Wikipedia "Cohen's kappa" example: 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15:
    # p_o = 0.7, p_e = 0.5, κ = 0.4 exactly.
    r1 = ["yes"] * 25 + ["no"] * 25
    r2 = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(r1, r2) == pytest.approx(0.4, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=60),
)
def test_cohen_kappa_matches_statsmodels_and_sklearn(pairs: list[tuple[int, int]]) -> None:
    r1 = [x for x, _ in pairs]
    r2 = [y for _, y in pairs]
    table = _contingency(r1, r2, 4)
    p_e = float(table.sum(axis=1) @ table.sum(axis=0)) / len(pairs) ** 2
    assume(not math.isclose(p_e, 1.0))
    ours = cohen_kappa(r1, r2)
    reference = inter_rater.cohens_kappa(table, return_results=False)
    assert ours == pytest.approx(reference, abs=1e-10)
    metrics = pytest.importorskip("sklearn.metrics")
    assert ours == pytest.approx(metrics.cohen_kappa_score(r1, r2), abs=1e-10)


def test_cohen_kappa_unused_label_changes_nothing_and_unknown_label_is_rejected() -> None:
    r1 = ["a", "b", "a", "c", "b", "a"]
    r2 = ["a", "b", "b", "c", "b", "c"]
    assert cohen_kappa(r1, r2, labels=["a", "b", "c", "d"]) == pytest.approx(cohen_kappa(r1, r2), abs=1e-12)
    with pytest.raises(StatsError) as exc:
        cohen_kappa(r1, r2, labels=["a", "b"])
    assert exc.value.field == "r1"


def test_cohen_kappa_is_symmetric_in_the_raters() -> None:
    r1 = [0, 1, 2, 2, 1, 0, 1, 2]
    r2 = [0, 1, 1, 2, 0, 0, 1, 1]
    assert cohen_kappa(r1, r2) == pytest.approx(cohen_kappa(r2, r1), abs=1e-12)


@pytest.mark.parametrize(
    ("r1", "r2", "field"),
    [
        ([], [], "r1"),
        ([1, 2], [1], "r2"),
        ([1, None], [1, 2], "r1"),
        ([1, 2], [1, NAN], "r2"),
        ([1, 1, 1], [1, 1, 1], "r1"),  # p_e = 1: kappa is 0/0
    ],
)
def test_cohen_kappa_bad_input(r1: list, r2: list, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        cohen_kappa(r1, r2)
    assert exc.value.field == field


# --- Fleiss' kappa -----------------------------------------------------------------------------


def test_fleiss_kappa_published_example() -> None:
    ours = fleiss_kappa(FLEISS_EXAMPLE)
    reference = inter_rater.fleiss_kappa(np.array(FLEISS_EXAMPLE), method="fleiss")
    assert ours == pytest.approx(reference, abs=1e-12)
    assert ours == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_matches_statsmodels_on_random_tables() -> None:
    rng = np.random.default_rng(7)
    for _ in range(25):
        items, raters, categories = rng.integers(2, 40), rng.integers(2, 9), rng.integers(2, 6)
        probs = rng.dirichlet(np.ones(categories), size=items)
        table = np.array([rng.multinomial(raters, p) for p in probs])
        if np.count_nonzero(table.sum(axis=0)) < 2:
            continue  # every rating in one category: kappa undefined, covered by the bad-input test
        reference = inter_rater.fleiss_kappa(table, method="fleiss")
        assert fleiss_kappa(table) == pytest.approx(reference, abs=1e-10)


def test_fleiss_kappa_two_raters_equals_scott_pi() -> None:
    # With two raters per item Fleiss' kappa reduces to Scott's (1955) pi:
    # π = (p_o − Σ p̄_j²)/(1 − Σ p̄_j²) with p̄_j the pooled category shares.
    r1 = np.array([0, 1, 2, 1, 0, 2, 2, 1, 0, 0])
    r2 = np.array([0, 1, 1, 1, 0, 2, 0, 1, 2, 0])
    table = np.zeros((10, 3))
    np.add.at(table, (np.arange(10), r1), 1)
    np.add.at(table, (np.arange(10), r2), 1)
    p_o = np.mean(r1 == r2)
    pooled = np.bincount(np.concatenate([r1, r2]), minlength=3) / 20
    scott = (p_o - pooled @ pooled) / (1 - pooled @ pooled)
    assert fleiss_kappa(table) == pytest.approx(scott, abs=1e-12)


@pytest.mark.parametrize(
    "table",
    [
        [],
        [[1, 2], [2]],
        [[1, 2], [2, 2]],  # unequal raters per item
        [[1, -1], [0, 0]],
        [[1.5, 0.5], [1, 1]],
        [[NAN, 2], [1, 1]],
        [[1, 0], [0, 1]],  # one rater per item
        [[3, 0], [3, 0]],  # every rating in one category
    ],
)
def test_fleiss_kappa_bad_input(table: list) -> None:
    with pytest.raises(StatsError) as exc:
        fleiss_kappa(table)
    assert exc.value.field == "table"


# --- Krippendorff's alpha ----------------------------------------------------------------------


def test_krippendorff_alpha_krippendorff_2011_example() -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level="nominal") == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal") == pytest.approx(0.815, abs=5e-4)
    assert krippendorff_alpha(KRIPPENDORFF_2011, level="interval") == pytest.approx(0.849, abs=5e-4)


def test_krippendorff_alpha_wikipedia_example() -> None:
    assert krippendorff_alpha(WIKIPEDIA_ALPHA) == pytest.approx(56 / 81, abs=1e-12)
    assert krippendorff_alpha(WIKIPEDIA_ALPHA, level="interval") == pytest.approx(0.810845, abs=5e-7)


def _alpha_by_pairs(data: np.ndarray, level: str) -> float:
    """Reference: α = 1 − D_o/D_e straight from the definition, looping over pairs of values."""
    units = [col[~np.isnan(col)] for col in data.T]
    units = [u for u in units if u.size >= 2]
    pooled = np.concatenate(units)
    n = pooled.size
    domain = np.unique(pooled)
    n_v = np.array([np.sum(pooled == v) for v in domain])

    def delta2(x: float, y: float) -> float:
        if level == "nominal":
            return float(x != y)
        if level == "interval":
            return (x - y) ** 2
        i, j = sorted((int(np.searchsorted(domain, x)), int(np.searchsorted(domain, y))))
        return (n_v[i : j + 1].sum() - (n_v[i] + n_v[j]) / 2) ** 2

    d_o = sum(
        sum(delta2(u[i], u[j]) for i, j in itertools.permutations(range(u.size), 2)) / (u.size - 1)
        for u in units
    ) / n
    d_e = sum(delta2(pooled[i], pooled[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    return 1 - d_o / d_e


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_krippendorff_alpha_matches_pairwise_definition(level: str) -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        raters, items = rng.integers(2, 5), rng.integers(3, 12)
        data = rng.integers(1, 5, size=(raters, items)).astype(float)
        data[rng.random(data.shape) < 0.25] = NAN
        expected = _alpha_by_pairs(data, level)
        assert krippendorff_alpha(data, level=level) == pytest.approx(expected, abs=1e-10)
        # The counts entry point (items x values; value columns nobody used are allowed) agrees.
        domain = np.arange(1.0, 7.0)
        counts = np.array([[np.sum(data[:, j] == v) for v in domain] for j in range(items)])
        assert krippendorff_alpha_from_counts(counts, domain, level=level) == pytest.approx(expected, abs=1e-10)


def test_krippendorff_alpha_from_counts_rejects_bad_input() -> None:
    with pytest.raises(StatsError, match="counts"):
        krippendorff_alpha_from_counts([[1.0, -1.0]], [1.0, 2.0])
    with pytest.raises(StatsError, match="domain"):
        krippendorff_alpha_from_counts([[1.0, 1.0]], [2.0, 1.0])


def test_krippendorff_alpha_invariances_and_perfect_agreement() -> None:
    data = np.array(KRIPPENDORFF_2011)
    base = krippendorff_alpha(data, level="ordinal")
    rng = np.random.default_rng(0)
    shuffled = data[rng.permutation(4)][:, rng.permutation(12)]
    assert krippendorff_alpha(shuffled, level="ordinal") == pytest.approx(base, abs=1e-12)
    # Ordinal alpha depends only on the order of the values, not their spacing.
    assert krippendorff_alpha(data**3, level="ordinal") == pytest.approx(base, abs=1e-12)
    perfect = [[1, 2, 3, NAN], [1, 2, 3, 4], [1, NAN, 3, 4]]
    assert krippendorff_alpha(perfect) == pytest.approx(1.0, abs=1e-12)
    assert krippendorff_alpha([[1, 2, None], [1, 2, 3]]) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("data", "level", "field"),
    [
        ([1, 2, 3], "nominal", "data"),
        ([[1, NAN], [NAN, 2]], "nominal", "data"),  # no item rated twice
        ([[1, 1], [1, 1]], "nominal", "data"),  # one value: D_e = 0
        ([[1, math.inf], [1, 2]], "nominal", "data"),
        ([["a", "b"], ["a", "b"]], "nominal", "data"),
        ([[1, 2], [1, 2]], "ratio", "level"),
    ],
)
def test_krippendorff_alpha_bad_input(data: list, level: str, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        krippendorff_alpha(data, level=level)  # type: ignore[arg-type]
    assert exc.value.field == field


# --- consensus agreement -----------------------------------------------------------------------


def test_wilson_interval_matches_statsmodels() -> None:
    for successes, n in [(0, 1), (0, 10), (3, 10), (10, 10), (47, 120)]:
        for level in (0.9, 0.95):
            ours = wilson_interval(successes, n, level=level)
            reference = proportion_confint(successes, n, alpha=1 - level, method="wilson")
            assert ours == pytest.approx(reference, abs=1e-12)


def test_consensus_agreement_hand_worked() -> None:
    labels = [
        # item 1: a and b say x, c says y. For a the others are {x, y}: tie, skipped; same for b;
        # for c the others are {x, x}: consensus x, c disagrees.
        ("a", 1, "x"), ("b", 1, "x"), ("c", 1, "y"),
        # item 2: everyone says z — each reviewer agrees with the other two.
        ("a", 2, "z"), ("b", 2, "z"), ("c", 2, "z"),
        # item 3: only a — no other reviewer, skipped.
        ("a", 3, "x"),
        # item 4: a says x, b says y: for each the "majority" of the other is the other's label.
        ("a", 4, "x"), ("b", 4, "y"),
    ]
    result = consensus_agreement(labels)
    assert (result["a"].n_items, result["a"].agreements) == (2, 1)
    assert (result["b"].n_items, result["b"].agreements) == (2, 1)
    assert (result["c"].n_items, result["c"].agreements) == (2, 1)
    assert result["a"].rate == pytest.approx(0.5, abs=1e-12)
    expected = proportion_confint(1, 2, alpha=0.05, method="wilson")
    assert (result["a"].lower, result["a"].upper) == pytest.approx(expected, abs=1e-12)


def test_consensus_agreement_reviewer_without_consensus_items() -> None:
    result = consensus_agreement([("a", 1, 0), ("b", 1, 1), ("c", 2, 0)])
    assert result["c"].n_items == 0
    assert result["c"].rate is None
    assert result["c"].lower is None
    assert result["a"].n_items == 1
    assert result["a"].agreements == 0


def test_consensus_agreement_recovers_reviewer_accuracy_in_simulation() -> None:
    # Five reviewers label 2000 binary items; reviewer k copies the truth with probability acc[k].
    # With two labels, agreeing with the others' majority happens with probability
    # acc·P(majority right) + (1 − acc)·P(majority wrong), computed exactly below by enumeration.
    rng = np.random.default_rng(11)
    acc = np.array([0.95, 0.9, 0.8, 0.7, 0.55])
    truth = rng.integers(0, 2, size=2000)
    labels = np.where(rng.random((5, 2000)) < acc[:, None], truth, 1 - truth)
    rows = [(k, i, int(labels[k, i])) for k in range(5) for i in range(2000)]
    result = consensus_agreement(rows)
    for k in range(5):
        others = np.delete(acc, k)
        p_right = p_wrong = 0.0
        for correct in itertools.product([0, 1], repeat=4):
            prob = float(np.prod(np.where(correct, others, 1 - others)))
            if sum(correct) > 2:
                p_right += prob
            elif sum(correct) < 2:
                p_wrong += prob
        expected = (acc[k] * p_right + (1 - acc[k]) * p_wrong) / (p_right + p_wrong)
        r = result[k]
        # 4 SEs of a proportion over ~1600 decisive items.
        assert r.rate == pytest.approx(expected, abs=4 * math.sqrt(0.25 / r.n_items))
        assert r.lower <= r.rate <= r.upper


@pytest.mark.parametrize(
    ("labels", "level", "field"),
    [
        ([], 0.95, "labels_by_item"),
        ([("a", 1, "x"), ("a", 1, "y")], 0.95, "labels_by_item"),
        ([("a", 1, None)], 0.95, "labels_by_item"),
        ([("a", 1)], 0.95, "labels_by_item"),
        ([("a", 1, "x")], 1.5, "level"),
    ],
)
def test_consensus_agreement_bad_input(labels: list, level: float, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        consensus_agreement(labels, level=level)
    assert exc.value.field == field


def test_wilson_interval_bad_input() -> None:
    with pytest.raises(StatsError) as exc:
        wilson_interval(1, 0)
    assert exc.value.field == "n"
    with pytest.raises(StatsError) as exc:
        wilson_interval(5, 3)
    assert exc.value.field == "successes"
