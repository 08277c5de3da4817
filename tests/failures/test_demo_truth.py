"""The demo's planted failure modes (``evalhub.core.world.PLANTED_FAILURES``) come out first, and nothing
else is flagged at the adjusted level, when each is analysed against its baseline."""

from __future__ import annotations

import pytest

from evalhub.core.world import PLANTED_FAILURES
from evalhub.failures.selectors import Params, analyse


@pytest.mark.django_db
@pytest.mark.parametrize("planted", PLANTED_FAILURES, ids=lambda p: f"{p.variant}-{p.dimension}-{p.value}")
def test_planted_failure_comes_out_first_and_alone(demo_world, planted) -> None:
    payload = analyse(Params(variant=planted.variant, baseline=planted.baseline, suite=planted.suite,
                             source=planted.source))
    rows = payload["slices"]
    assert (rows[0]["source"], rows[0]["slice"]["dimension"], rows[0]["slice"]["value"]) == (
        planted.source, planted.dimension, planted.value)
    # The planted metric itself: flagged, its 95% interval covering the planted size (a fixed seed, so no
    # flakiness; the slice's other metrics may move with it, e.g. refusals draw thumbs down).
    [row] = [r for r in rows if (r["slice"]["dimension"], r["slice"]["value"], r["metric"]) ==
             (planted.dimension, planted.value, planted.metric)]
    assert row["significant"]
    assert row["p_adjusted"] < 0.05
    assert row["lower"] <= planted.difference <= row["upper"]
    same_rows = {(planted.dimension, planted.value), *planted.also}
    flagged = {(r["slice"]["dimension"], r["slice"]["value"]) for r in rows if r["significant"]}
    assert flagged <= same_rows, f"flagged beyond the planted failure: {flagged - same_rows}"


@pytest.mark.django_db
@pytest.mark.parametrize("planted", [p for p in PLANTED_FAILURES if p.source == "suites"],
                         ids=lambda p: f"{p.variant}-{p.dimension}-{p.value}")
def test_planted_failure_leads_the_default_page(demo_world, planted) -> None:
    """The page as it opens (default baseline, every suite and source): the variant may trail that baseline
    everywhere, yet the planted slice, worse than its usual gap, leads."""
    rows = analyse(Params(variant=planted.variant))["slices"]
    lead = rows[0]
    assert lead["significant"]
    assert (lead["slice"]["dimension"], lead["slice"]["value"]) in {(planted.dimension, planted.value), *planted.also}
