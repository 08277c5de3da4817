"""JUnit XML for finished runs, so CI systems show an eval run like a test run (``run_suite --junit-xml``).

One ``<testsuite>`` per run, one ``<testcase>`` per suite item (classname ``<suite>.<category>``, name the
item id, time its latency): an item whose grade did not pass is a ``<failure>`` (its score and the
grader's explanation), an item whose endpoint call failed is an ``<error>``, an item waiting for a
human grade or without a result (cancelled run) is ``<skipped>``. The run's status, mean score and
95% CI are ``<property>`` elements of its testsuite. Layout follows the schema Jenkins and GitLab read
(``testsuites > testsuite > properties, testcase > failure | error | skipped``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from experiments.suites import selectors
from experiments.suites.models import Run, RunResult


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _testsuite(run: Run, fail_under: float | None) -> tuple[ET.Element, dict[str, int]]:
    summary = selectors.run_summary(run)
    results: dict[int, RunResult] = {r.item_id: r for r in RunResult.objects.filter(run_id=run.pk)}
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suite = ET.Element("testsuite", name=f"{run.version} × {run.variant.slug}")
    props = ET.SubElement(suite, "properties")
    overall = summary.overall
    for name, value in [("run_id", str(run.pk)), ("status", run.status), ("variant", run.variant.slug),
                        ("mean_score", _fmt(overall and overall.mean)), ("ci_lower", _fmt(overall and overall.lower)),
                        ("ci_upper", _fmt(overall and overall.upper)), ("fail_under", _fmt(fail_under)),
                        ("error", run.error)]:
        if value:
            ET.SubElement(props, "property", name=name, value=value)
    total_s = 0.0
    for item in run.version.items.order_by("position", "id"):
        result = results.get(item.pk)
        seconds = (result.latency_ms / 1000.0) if result else 0.0
        total_s += seconds
        case = ET.SubElement(suite, "testcase", classname=f"{run.version.suite.slug}.{item.category or 'items'}",
                             name=item.external_id, time=f"{seconds:.3f}")
        counts["tests"] += 1
        if result is None:
            ET.SubElement(case, "skipped", message="no result (the run stopped before this item)")
            counts["skipped"] += 1
        elif result.error:
            ET.SubElement(case, "error", message=result.error[:500], type="endpoint").text = result.error
            counts["errors"] += 1
        elif result.score is None:
            ET.SubElement(case, "skipped", message="waiting for a human grade")
            counts["skipped"] += 1
        elif not result.passed:
            failure = ET.SubElement(case, "failure", type="grade",
                                    message=f"score {result.score:.3f}, did not pass: {result.explanation[:300]}")
            failure.text = f"extracted: {result.extracted}\noutput:\n{result.output}"
            counts["failures"] += 1
    suite.attrib.update({key: str(value) for key, value in counts.items()})
    suite.set("time", f"{total_s:.3f}")
    if run.finished_at:
        suite.set("timestamp", run.finished_at.replace(microsecond=0).isoformat())
    return suite, counts


def runs_junit_xml(runs: list[Run], *, fail_under: float | None = None) -> str:
    """The runs as one JUnit XML document (UTF-8 text with an XML declaration)."""
    root = ET.Element("testsuites", name="evalhub")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for run in runs:
        suite, counts = _testsuite(run, fail_under)
        root.append(suite)
        for key, value in counts.items():
            totals[key] += value
    root.attrib.update({key: str(value) for key, value in totals.items()})
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
