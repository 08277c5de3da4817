"""Suite pages. Engineers import, launch, cancel and resume; viewers (leadership) may read suites,
runs, comparisons and charts; reviewers grade items routed to the human rubric grader."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from evalhub.core.models import Role
from evalhub.core.roles import role_required
from experiments.suites import charts, selectors, services
from experiments.suites.forms import HumanGradeForm, ImportForm, LaunchForm, RecordedForm
from experiments.suites.importers import ImportRejected
from experiments.suites.models import HumanGrade, Run, RunStatus, Suite

READ = (Role.VIEWER, Role.ENGINEER, Role.ADMIN)
WRITE = (Role.ENGINEER, Role.ADMIN)


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return "; ".join(exc.messages)


@role_required(*READ)
def suite_list(request: HttpRequest) -> HttpResponse:
    return render(request, "suites/list.html", {"suites": selectors.suites_list(), "runs": selectors.runs_recent()})


@role_required(*WRITE)
def suite_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None, initial={"slug": request.GET.get("suite", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.suite_import(slug=data["slug"], name=data["name"], text=data["text"], fmt=data["format"],
                                            default_grader=data["default_grader"], by=request.user,
                                            files=data["files"] or None, field_map=data["field_map"])
        except ImportRejected as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, f"Imported {version.item_count} items as {version}."
                             + "".join(f" {note[:1].upper()}{note[1:]}." for note in version.import_notes))
            return redirect("suites:detail", slug=version.suite.slug)
    return render(request, "suites/import.html", {"form": form})


@role_required(*READ)
def suite_detail(request: HttpRequest, slug: str) -> HttpResponse:
    suite = get_object_or_404(Suite, slug=slug)
    versions = list(selectors.suite_versions(suite))
    number = request.GET.get("version")
    version = next((v for v in versions if str(v.number) == number), versions[0] if versions else None)
    items = Paginator(selectors.version_items(version), 50).get_page(request.GET.get("page")) if version else None
    runs = selectors.version_runs(version) if version else []
    return render(request, "suites/detail.html", {"suite": suite, "versions": versions, "version": version,
                                                  "items": items, "runs": runs})


@role_required(*READ)
def suite_chart(request: HttpRequest, slug: str) -> HttpResponse:
    suite = get_object_or_404(Suite, slug=slug)
    version = suite.versions.filter(number=request.GET.get("version") or 0).first() or services.version_latest(suite)
    points = selectors.version_frontier(version) if version else []
    fig = charts.score_vs_cost(points, title=f"{suite.name}: score vs cost per item")
    return render(request, "suites/chart.html", {"suite": suite, "version": version, "points": points,
                                                 "figure": fig.to_json()})


@role_required(*WRITE)
def run_launch(request: HttpRequest, slug: str) -> HttpResponse:
    suite = get_object_or_404(Suite, slug=slug)
    versions = list(suite.versions.order_by("-number"))
    form = LaunchForm(request.POST or None, versions=versions)
    if request.method == "POST" and form.is_valid():
        version = next(v for v in versions if v.number == form.cleaned_data["version"])
        try:
            runs = [services.run_start(version=version, variant=variant, by=request.user,
                                       concurrency=form.cleaned_data["concurrency"])
                    for variant in form.cleaned_data["variants"]]
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, f"Started {len(runs)} run(s).")
            return redirect("suites:run", pk=runs[0].pk) if len(runs) == 1 else redirect("suites:detail", slug=slug)
    return render(request, "suites/launch.html", {"suite": suite, "form": form})


@role_required(*WRITE)
def recorded_import(request: HttpRequest, slug: str) -> HttpResponse:
    suite = get_object_or_404(Suite, slug=slug)
    versions = list(suite.versions.order_by("-number"))
    form = RecordedForm(request.POST or None, request.FILES or None, versions=versions)
    if request.method == "POST" and form.is_valid():
        version = next(v for v in versions if v.number == form.cleaned_data["version"])
        try:
            run = services.recorded_import(version=version, variant=form.cleaned_data["variant"],
                                           text=form.cleaned_data["text"], by=request.user)
        except ImportRejected as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Graded {run.n_done} recorded outputs.")
            return redirect("suites:run", pk=run.pk)
    return render(request, "suites/recorded.html", {"suite": suite, "form": form})


@role_required(*READ)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(Run.objects.select_related("variant", "version__suite"), pk=pk)
    results = Paginator(selectors.run_results(run), 50).get_page(request.GET.get("page"))
    others = (Run.objects.filter(version_id=run.version_id).exclude(pk=run.pk).exclude(status=RunStatus.FAILED)
              .select_related("variant"))
    progress = selectors.run_progress(run)
    return render(request, "suites/run.html", {"run": run, "progress": progress,
                                               "summary": selectors.run_summary(run), "results": results,
                                               "others": others, "can_resume": selectors.run_can_resume(run),
                                               "top_errors": selectors.run_error_counts(run) if progress.n_errors else [],
                                               "stall_seconds": settings.SUITE_RUN_STALL_SECONDS})


@role_required(*READ)
def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(Run, pk=pk)
    return JsonResponse(selectors.run_progress(run).as_dict())


@require_POST
@role_required(*WRITE)
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.run_cancel(run=get_object_or_404(Run, pk=pk))
        messages.success(request, "Run cancelled.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("suites:run", pk=pk)


@require_POST
@role_required(*WRITE)
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.run_resume(run=get_object_or_404(Run, pk=pk))
        messages.success(request, "Run resumed: items without a result were re-dispatched.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("suites:run", pk=pk)


@role_required(*READ)
def run_compare(request: HttpRequest, pk: int) -> HttpResponse:
    run_a = get_object_or_404(Run.objects.select_related("variant", "version__suite"), pk=pk)
    run_b = get_object_or_404(Run.objects.select_related("variant"), pk=request.GET.get("other") or 0,
                              version_id=run_a.version_id)
    try:
        cmp = selectors.run_compare(run_a, run_b)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("suites:run", pk=pk)
    return render(request, "suites/compare.html", {"cmp": cmp})


@role_required(Role.REVIEWER, Role.ADMIN)
def grade_queue(request: HttpRequest) -> HttpResponse:
    pending = Paginator(selectors.human_grades_pending(), 20).get_page(request.GET.get("page"))
    return render(request, "suites/grade_queue.html", {"pending": pending, "form": HumanGradeForm()})


@require_POST
@role_required(Role.REVIEWER, Role.ADMIN)
def grade_submit(request: HttpRequest, pk: int) -> HttpResponse:
    grade = get_object_or_404(HumanGrade, pk=pk)
    form = HumanGradeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("suites:grade_queue")
    try:
        services.human_grade_submit(grade=grade, reviewer=request.user, **form.cleaned_data)
        messages.success(request, "Grade saved.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("suites:grade_queue")
