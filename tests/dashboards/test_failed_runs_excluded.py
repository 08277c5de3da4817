"""Leadership numbers read finished runs only: a failed run (most items errored) never becomes a
variant's suite score; the variant keeps its last real measurement."""

from __future__ import annotations

import pytest

from experiments.suites import selectors, services
from experiments.suites.models import Run, RunResult, RunStatus
from tests.factories import VariantFactory
from tests.suites.factories import make_version

pytestmark = pytest.mark.django_db


def finish(version, variant, *, errors: int) -> Run:
    run = Run.objects.create(version=version, variant=variant, status=RunStatus.RUNNING, n_items=version.item_count)
    for i, item in enumerate(version.items.order_by("position")):
        RunResult.objects.create(run=run, item=item, output="o", score=0.0 if i < errors else 1.0,
                                 passed=i >= errors, error="v: connection failed: refused" if i < errors else "")
    return services.run_finalize(run_id=run.pk)


def test_a_later_failed_run_does_not_replace_the_variants_suite_score():
    version = make_version(8, slug="support")
    variant = VariantFactory()
    measured = finish(version, variant, errors=1)
    broken = finish(version, variant, errors=8)  # newer: the endpoint was down
    assert (measured.status, broken.status) == (RunStatus.DONE, RunStatus.FAILED)

    scores = [s for s in selectors.suite_scores_latest() if s.variant_id == variant.pk]
    assert len(scores) == 1
    assert scores[0].run_id == measured.pk
    assert scores[0].score.value == pytest.approx(7 / 8)
    assert selectors.latest_done_runs()[(variant.pk, version.suite_id)] == (measured.pk, version.pk)


def test_a_variant_whose_only_run_failed_has_no_suite_score():
    version = make_version(4, slug="support")
    variant = VariantFactory()
    finish(version, variant, errors=4)
    assert [s for s in selectors.suite_scores_latest() if s.variant_id == variant.pk] == []


def test_leadership_suite_score_is_the_run_pages_clustered_interval():
    """Items grouped in pairs: the scorecard's interval for the run is the run page's clustered one, not an
    independent-items interval over the same scores."""
    version = make_version(40, slug="grouped", groups=True)
    variant = VariantFactory()
    run = finish(version, variant, errors=0)
    # Both items of a group scored alike, so clustering widens the interval.
    RunResult.objects.filter(run=run, item__position__in=[p for p in range(40) if p % 8 in (0, 1, 2, 3)]).update(score=0.0)
    summary = selectors.run_summary(run)
    assert summary.clustered
    [score] = [s for s in selectors.suite_scores_latest() if s.variant_id == variant.pk]
    assert score.score.value == pytest.approx(summary.overall.mean)
    assert (score.score.lower, score.score.upper) == pytest.approx((summary.overall.lower, summary.overall.upper))
    independent = selectors.mean_estimate(40, 20.0, 20.0, bounds=(0.0, 1.0))
    assert score.score.upper - score.score.lower > independent.upper - independent.lower
