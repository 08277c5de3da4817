"""Pages: the reviewer's judging page and the engineers' campaign pages. Thin: services do the writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from evalhub.core.models import Role
from evalhub.core.roles import role_required
from judging import selectors, services
from judging.assignment import assignment_next
from judging.forms import CampaignForm, ExcludeForm, PromptImportForm
from judging.models import Campaign, CampaignStatus

# Defence in depth on the page that shows untrusted model output: even if sanitising failed,
# no inline script, no plugin and no foreign origin could run or load.
JUDGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; img-src 'self' data:; "
             "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@role_required(Role.REVIEWER, Role.ADMIN)
def judge(request: HttpRequest) -> HttpResponse:
    slug = request.GET.get("campaign") or None
    campaign = get_object_or_404(Campaign, slug=slug) if slug else None
    assignment = assignment_next(reviewer=request.user, campaign=campaign)
    item = selectors.assignment_view(assignment, request.user) if assignment else None
    progress = item["progress"] if item else selectors.reviewer_progress(request.user, campaign)
    response = render(request, "judging/judge.html", {
        "item": item, "progress": progress, "campaign": campaign,
        "campaigns": selectors.campaigns_for_reviewer(),
    })
    response["Content-Security-Policy"] = JUDGE_CSP
    response["Referrer-Policy"] = "no-referrer"
    return response


@role_required(Role.ENGINEER, Role.ADMIN)
def campaigns(request: HttpRequest) -> HttpResponse:
    return render(request, "judging/campaigns.html", {"campaigns": selectors.campaigns_list()})


@role_required(Role.ENGINEER, Role.ADMIN)
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("prompt_category")
        try:
            campaign = services.campaign_create(prompts=form.prompts(), created_by=request.user,
                                                **{**data, "variants": list(data["variants"])})
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Campaign “{campaign.name}” created. Import prompts or start it.")
            return redirect("judging:campaign_detail", slug=campaign.slug)
    return render(request, "judging/campaign_new.html", {"form": form})


@role_required(Role.ENGINEER, Role.ADMIN)
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.prefetch_related("variants"), slug=slug)
    from judging.leaderboard import COUNT_DEFINITIONS, latest_snapshot

    snapshot = latest_snapshot(campaign.pk)
    return render(request, "judging/campaign_detail.html", {
        "campaign": campaign, "progress": selectors.campaign_progress(campaign),
        "reviewers": selectors.campaign_reviewers(campaign), "import_form": PromptImportForm(),
        "votes_counted": snapshot.payload.get("n_votes", snapshot.n_judgments) if snapshot else None,
        "definitions": COUNT_DEFINITIONS,
    })


@role_required(Role.ENGINEER, Role.ADMIN)
@require_POST
def campaign_import(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    form = PromptImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = services.campaign_import_prompts(campaign=campaign, text=form.jsonl())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                messages.error(request, f"Nothing imported — {field}: {' '.join(errors)}")
        else:
            messages.success(request, f"Imported {result.prompts} prompts, {result.answers} answers, {result.gold} gold.")
    return redirect("judging:campaign_detail", slug=slug)


@role_required(Role.ENGINEER, Role.ADMIN)
@require_POST
def campaign_start(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    try:
        campaign = services.campaign_start(campaign=campaign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Campaign is {campaign.get_status_display().lower()}.")
    return redirect("judging:campaign_detail", slug=slug)


@role_required(Role.ENGINEER, Role.ADMIN)
@require_POST
def campaign_status(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    status = request.POST.get("status", "")
    if status in {CampaignStatus.ACTIVE, CampaignStatus.CLOSED}:
        services.campaign_set_status(campaign=campaign, status=status)
    return redirect("judging:campaign_detail", slug=slug)


@role_required(Role.ENGINEER, Role.ADMIN)
@require_POST
def reviewer_exclude(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    reviewer = get_object_or_404(User, pk=user_id)
    form = ExcludeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if request.POST.get("undo"):
        services.reviewer_include(campaign=campaign, reviewer=reviewer)
        messages.success(request, f"{reviewer.username}'s judgments count again.")
    else:
        services.reviewer_exclude(campaign=campaign, reviewer=reviewer, reason=reason, by=request.user)
        messages.success(request, f"{reviewer.username}'s judgments are excluded from ratings.")
    if request.POST.get("next"):  # the quality page sends people back to itself
        return redirect(_safe_next(request))
    return redirect("judging:campaign_detail", slug=slug)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/judge/campaigns/"
