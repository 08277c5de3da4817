"""Download pages: a suite version as re-importable JSONL, a run's results as CSV, JSON or JSONL."""

from __future__ import annotations

from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404

from evalhub.core.models import Role
from evalhub.core.roles import role_required
from experiments.suites import exports, services
from experiments.suites.models import Run, Suite

READ = (Role.VIEWER, Role.ENGINEER, Role.ADMIN)


@role_required(*READ)
def suite_export(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    suite = get_object_or_404(Suite, slug=slug)
    number = request.GET.get("version")
    version = suite.versions.filter(number=number).first() if number else services.version_latest(suite)
    if version is None:
        raise Http404("no such version")
    return exports.export_response(exports.version_jsonl(version), "jsonl", f"{suite.slug}-v{version.number}")


@role_required(*READ)
def run_export(request: HttpRequest, pk: int, fmt: str) -> StreamingHttpResponse:
    run = get_object_or_404(Run.objects.select_related("version__suite", "variant"), pk=pk)
    if fmt not in exports.EXPORTERS:
        raise Http404("unknown export format")
    return exports.export_response(exports.EXPORTERS[fmt](run), fmt, f"run-{run.pk}")
