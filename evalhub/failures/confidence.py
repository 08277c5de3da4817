"""Confident and wrong: among a variant's wrong answers to items with a right answer, the share that
expresses no uncertainty (``evalhub.text.hedging.expresses_uncertainty``), overall and per slice, with
Wilson intervals; and, where the model states a confidence ("Confidence: 80%"), its calibration
(``evalhub.stats.calibration.expected_calibration_error``: ECE with an interval and the reliability curve)."""

from __future__ import annotations

import dataclasses

from evalhub.core.models import ModelVariant
from evalhub.core.read_models import rate_estimate
from evalhub.failures.selectors import AnalysisError, _specs, dimensions_active
from evalhub.stats.calibration import expected_calibration_error
from evalhub.text.hedging import expresses_uncertainty, stated_confidence
from experiments.suites import selectors as suites_selectors

MIN_CALIBRATION_ANSWERS = 20


def _slice_values(answer: suites_selectors.GradedAnswer, spec: tuple[str, str, str]) -> list[str]:
    _, kind, key = spec
    if kind == "derived":
        found = answer.features.get(key)
    elif kind == "suite_category":
        found = answer.category or None
    elif kind == "suite_metadata":
        found = answer.metadata.get(key)
    elif kind == "suite_tag":
        tags = answer.metadata.get(key)
        return [str(t) for t in tags] if isinstance(tags, list) else []
    else:
        return []
    return [] if found is None else [str(found)]


def _share(confident: int, wrong: int) -> dict:
    rate = rate_estimate(confident, wrong)
    return {"n_wrong": wrong, "confident": confident, "share": rate and rate.value, "lower": rate and rate.lower,
            "upper": rate and rate.upper}


def _jsonable(result: object) -> object:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(result).items()}
    if isinstance(result, dict):
        return {str(k): _jsonable(v) for k, v in result.items()}
    if isinstance(result, (list, tuple)):
        return [_jsonable(v) for v in result]
    if hasattr(result, "tolist"):
        return result.tolist()
    if isinstance(result, float) and result != result:
        return None
    return result


def confident_and_wrong(*, variant: str, suite: str | None = None) -> dict:
    """The "confident and wrong" payload of one variant (see the module docstring). Raises
    ``AnalysisError`` for an unknown variant."""
    found = ModelVariant.objects.filter(slug=variant).first()
    if found is None:
        raise AnalysisError("variant", f"unknown variant '{variant}'", status=404)
    answers = suites_selectors.failure_graded_answers(variant_id=found.pk, suite_slug=suite)
    specs = _specs(dimensions_active(), "suites")
    wrong = [a for a in answers if not a.correct]
    confident = [not expresses_uncertainty(a.output) for a in wrong]
    cells: dict[tuple[str, str], list[int]] = {}
    for answer, sure in zip(wrong, confident, strict=True):
        for spec in specs:
            for value in _slice_values(answer, spec):
                cell = cells.setdefault((spec[0], value), [0, 0])
                cell[0] += int(sure)
                cell[1] += 1
    by_slice = sorted(({"slice": {"dimension": d, "value": v}, **_share(c, n)} for (d, v), (c, n) in cells.items()),
                      key=lambda r: (-(r["share"] or 0), -r["n_wrong"], r["slice"]["dimension"], r["slice"]["value"]))
    stated = [(c, a.correct) for a in answers if (c := stated_confidence(a.output)) is not None]
    calibration = None
    if len(stated) >= MIN_CALIBRATION_ANSWERS:
        calibration = _jsonable(expected_calibration_error([c for c, _ in stated], [ok for _, ok in stated]))
    return {"variant": {"slug": found.slug, "name": found.name}, "suite": suite, "n_answers": len(answers),
            **_share(sum(confident), len(wrong)), "by_slice": by_slice, "n_stated_confidence": len(stated),
            "calibration": calibration}
