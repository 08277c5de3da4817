"""Failure-modes pages: a variant's failure modes (viewer, engineer, admin), dimensions, and the one-click
actions (engineers) that turn a slice into a regression suite or a judging campaign."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from evalhub.core.models import ModelVariant, Role
from evalhub.core.render import render_markdown
from evalhub.core.roles import has_role, role_required
from evalhub.failures import charts, selectors, services
from evalhub.failures.forms import DimensionForm
from evalhub.failures.models import SOURCES, Dimension

READERS = (Role.VIEWER, Role.ENGINEER, Role.ADMIN)
WRITERS = (Role.ENGINEER, Role.ADMIN)
SHOWN = 15  # slices on the page (flagged ones first); the API returns them all


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return "; ".join(exc.messages)


@role_required(*READERS)
def index(request: HttpRequest) -> HttpResponse:
    variants = list(ModelVariant.objects.filter(is_active=True).order_by("slug").values("slug", "name"))
    top = selectors.top_failure_modes([v["slug"] for v in variants])
    return render(request, "failures/index.html", {"variants": [{**v, "top": top.get(v["slug"], [])} for v in variants]})


@role_required(*READERS)
def variant(request: HttpRequest, slug: str) -> HttpResponse:
    source = request.GET.get("source") or None
    params = selectors.Params(variant=slug, baseline=request.GET.get("baseline") or None,
                              suite=request.GET.get("suite") or None, source=source if source in SOURCES else None)
    try:
        payload = selectors.cached_analysis(params, refresh=request.GET.get("refresh") == "1")
    except selectors.AnalysisError as err:
        if err.status == 404 and err.field == "variant":
            raise Http404(err.message) from None
        return render(request, "failures/variant.html", {"error": f"{err.field}: {err.message}", "slug": slug,
                                                         "variants": _variant_choices(), "params": params}, status=400)
    slices = []
    for row in payload["slices"][:SHOWN]:
        examples = [{**e, "prompt_html": render_markdown(e["prompt"]), "output_html": render_markdown(e["output"]),
                     "baseline_html": render_markdown(e["baseline_output"])} for e in row["examples"]]
        slices.append({**row, "examples": examples})
    calibration = (payload.get("confident_wrong") or {}).get("calibration")
    return render(request, "failures/variant.html", {
        "payload": payload, "slices": slices, "params": params, "slug": slug, "variants": _variant_choices(),
        "reliability": charts.reliability_figure(calibration) if calibration else None,
        "n_more": max(0, len(payload["slices"]) - SHOWN), "can_write": has_role(request.user, Role.ENGINEER)
        or has_role(request.user, Role.ADMIN), "sources": SOURCES,
    })


def _variant_choices() -> list[dict]:
    return list(ModelVariant.objects.filter(is_active=True).order_by("slug").values("slug", "name"))


@role_required(*WRITERS)
@require_POST
def slice_action(request: HttpRequest, slug: str) -> HttpResponse:
    """POST: make a regression suite (``action=suite``) or a judging campaign (``action=campaign``) of a slice."""
    data = request.POST
    back = request.POST.get("next") or f"/failures/{slug}/"
    if not back.startswith("/failures/"):
        back = f"/failures/{slug}/"
    try:
        if data.get("action") == "suite":
            made, count = services.slice_to_suite(variant=slug, baseline=data.get("baseline", ""),
                                                  suite=data.get("suite", ""), dimension=data.get("dimension", ""),
                                                  value=data.get("value", ""), by=request.user)
            messages.success(request, f"Regression suite {made} created with {count} items.")
            return redirect("suites:detail", slug=made)
        made, count = services.slice_to_campaign(variant=slug, baseline=data.get("baseline", ""),
                                                 source=data.get("source", ""), dimension=data.get("dimension", ""),
                                                 value=data.get("value", ""), suite=data.get("suite", ""),
                                                 by=request.user)
        messages.success(request, f"Draft campaign {made} created with {count} prompts; start it to collect votes.")
        return redirect("judging:campaign_detail", slug=made)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(back)


@role_required(*READERS)
def dimensions(request: HttpRequest) -> HttpResponse:
    can_write = has_role(request.user, Role.ENGINEER) or has_role(request.user, Role.ADMIN)
    form = DimensionForm(request.POST or None)
    if request.method == "POST":
        if not can_write:
            return HttpResponse("declaring a dimension needs the engineer or admin role", status=403)
        if form.is_valid():
            try:
                made = services.dimension_declare(by=request.user, **form.cleaned_data)
                messages.success(request, f"Dimension {made.name} declared.")
                return redirect("failures:dimensions")
            except ValidationError as exc:
                for field, msgs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, msgs)
    return render(request, "failures/dimensions.html", {"dimensions": selectors.dimensions_all(), "form": form,
                                                        "can_write": can_write},
                  status=400 if request.method == "POST" else 200)


@role_required(*WRITERS)
@require_POST
def dimension_retire(request: HttpRequest, pk: int) -> HttpResponse:
    dimension = get_object_or_404(Dimension, pk=pk)
    services.dimension_retire(dimension=dimension)
    messages.success(request, f"Dimension {dimension.name} retired.")
    return redirect("failures:dimensions")
