"""Result pages: leaderboard, reviewer quality, arena import, judgment export."""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from evalhub.core.models import Role
from evalhub.core.roles import has_role, role_required
from judging import charts, exports, results
from judging.importers import ArenaImportError, arena_import
from judging.leaderboard import COUNT_DEFINITIONS
from judging.models import Campaign
from judging.quality import campaign_quality


@role_required(Role.VIEWER, Role.ENGINEER, Role.ADMIN)
def leaderboard(request: HttpRequest) -> HttpResponse:
    try:
        view = results.leaderboard_view(campaign_slug=request.GET.get("campaign", ""),
                                        category=request.GET.get("category", ""),
                                        criterion=request.GET.get("criterion", ""),
                                        style=request.GET.get("style") in {"1", "on", "true"},
                                        include_flagged=request.GET.get("flagged") in {"1", "on", "true"})
    except results.LeaderboardNotFound as exc:
        raise Http404(str(exc)) from None
    figures = {}
    if view.board and view.board["rows"]:
        # Snapshots are immutable, so a snapshot's figures can be cached by its id: building three
        # plotly figures costs more than the rest of the page.
        key = f"judging:lb-figures:{view.snapshot.pk}:{view.board_key}:{int(view.include_flagged)}"
        figures = cache.get(key)
        if figures is None:
            figures = {"forest": charts.forest_plot(view.board).to_json(),
                       "winrate": charts.win_rate_heatmap(view.board).to_json(),
                       "predicted": charts.predicted_heatmap(view.board).to_json()}
            cache.set(key, figures, timeout=3600)
    return render(request, "judging/leaderboard.html", {
        "view": view, "figures": figures, "can_recompute": has_role(request.user, Role.ENGINEER),
        "campaigns": results.campaign_choices(),
    })


@role_required(Role.ENGINEER, Role.ADMIN)
def leaderboard_recompute(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":  # a bookmarked or reloaded URL just shows the board
        return redirect("judging:leaderboard")
    slug = request.POST.get("campaign", "")
    campaign = get_object_or_404(Campaign, slug=slug) if slug else None
    results.leaderboard_recompute(campaign_id=campaign.pk if campaign else None)
    messages.success(request, "Recomputing in the background; reload in a few seconds.")
    return redirect(reverse("judging:leaderboard") + (f"?campaign={slug}" if slug else ""))


@role_required(Role.VIEWER, Role.ENGINEER, Role.ADMIN)
def quality(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    return render(request, "judging/quality.html", {
        "quality": campaign_quality(campaign), "campaign": campaign,
        "can_exclude": has_role(request.user, Role.ENGINEER), "definitions": COUNT_DEFINITIONS,
    })


@role_required(Role.ENGINEER, Role.ADMIN)
def import_page(request: HttpRequest) -> HttpResponse:
    context: dict = {"errors": [], "summary": None, "source": request.POST.get("source", "chatbot-arena")}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"] = [{"line": 0, "field": "file", "message": "choose a JSON or JSONL file"}]
        else:
            try:
                context["summary"] = arena_import(data=upload.read(), source=context["source"],
                                                  create_variants=bool(request.POST.get("create_variants")),
                                                  include_named=bool(request.POST.get("include_named")))
            except ArenaImportError as exc:
                context["errors"] = [issue.as_dict() for issue in exc.issues]
    return render(request, "judging/import.html", context, status=400 if context["errors"] else 200)


@role_required(Role.ENGINEER, Role.ADMIN)
def export_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    response = StreamingHttpResponse(exports.csv_lines(campaign), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-judgments.csv"'
    return response


@role_required(Role.ENGINEER, Role.ADMIN)
def export_json(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    response = StreamingHttpResponse(exports.json_chunks(campaign), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-judgments.json"'
    return response
