"""Judging API: the reviewer queue (session auth, CSRF) and campaign management for engineers.

Reviewer endpoints return only what ``judging.selectors.assignment_payload`` builds: sanitised
HTML of the prompt and the two answers in the assignment's left/right order — never a variant id,
slug, name, endpoint or price before the vote.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from evalhub.core.auth import ENGINEER_AUTH, ENGINEER_ROLES, REVIEWER_AUTH, ApiKeyAuth, SessionRoleAuth
from evalhub.core.errors import NotFound
from evalhub.core.schemas import ErrorOut
from judging import selectors, services
from judging.api_results import router as results_router
from judging.assignment import assignment_next
from judging.models import Campaign
from judging.schemas import (
    AdaptiveIn,
    AdaptiveOut,
    CampaignIn,
    CampaignOut,
    EmptyQueueOut,
    NextOut,
    PromptImportIn,
    PromptImportOut,
    SkipIn,
    SkipOut,
    VoteConflictOut,
    VoteIn,
    VoteOut,
)

router = Router()

CAMPAIGN_READ_AUTH = [ApiKeyAuth("read"), SessionRoleAuth(*ENGINEER_ROLES)]


def _campaign_or_404(slug: str, field: str = "slug") -> Campaign:
    campaign = selectors.campaign_by_slug(slug)
    if campaign is None:
        raise NotFound(f"no campaign with slug '{slug}'", field)
    return campaign


def _next_payload(request: HttpRequest, campaign: Campaign | None) -> dict | None:
    assignment = assignment_next(reviewer=request.user, campaign=campaign)
    return None if assignment is None else selectors.assignment_payload(assignment, request.user)


# ---------------------------------------------------------------- reviewer queue


@router.get("/next", response={200: NextOut | EmptyQueueOut, 404: ErrorOut}, auth=REVIEWER_AUTH)
def next_comparison(request: HttpRequest, campaign: str | None = None):
    target = _campaign_or_404(campaign, "campaign") if campaign else None
    payload = _next_payload(request, target)
    if payload is None:
        return Status(200, {"token": None, "detail": "nothing left to judge here; thank you!",
                           "progress": selectors.reviewer_progress(request.user, target)})
    return Status(200, payload)


@router.post("/assignments/{token}/vote", response={200: VoteOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                                   409: VoteConflictOut},
             auth=REVIEWER_AUTH)
def vote(request: HttpRequest, token: str, payload: VoteIn, campaign: str | None = None, next: bool = True):
    """Record the vote; ``next`` (default true) also leases and returns the following comparison.

    The same vote sent again returns 200 (idempotent); a different vote on a judged comparison is
    409 with the stored ``vote``; a closed campaign, a skipped or an expired assignment is 409."""
    judgment = services.judgment_record(assignment_token=token, reviewer=request.user, choice=payload.choice,
                                        criteria=payload.criteria, rationale=payload.rationale)
    assignment = judgment.assignment
    following = None
    if next:
        following = _next_payload(request, _campaign_or_404(campaign, "campaign") if campaign else None)
    return Status(200, {"ok": True, "reveal": selectors.reveal_for(judgment, assignment), "next": following})


@router.post("/assignments/{token}/skip", response={200: SkipOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             auth=REVIEWER_AUTH)
def skip(request: HttpRequest, token: str, payload: SkipIn, campaign: str | None = None):
    services.assignment_skip(token=token, reviewer=request.user, reason=payload.reason)
    scope = _campaign_or_404(campaign, "campaign") if campaign else None
    return Status(200, {"ok": True, "next": _next_payload(request, scope)})


# ---------------------------------------------------------------- campaigns (engineers)


def _campaign_out(campaign: Campaign, *, progress: bool = False) -> dict:
    out = {field: getattr(campaign, field) for field in (
        "slug", "name", "instructions", "status", "pair_design", "redundancy_k", "criteria", "gold_rate",
        "reveal_after_vote", "lease_seconds", "created_at")}
    out["variants"] = sorted(v.slug for v in campaign.variants.all())
    if progress:
        out["progress"] = selectors.campaign_progress(campaign).__dict__
    return out


@router.get("/campaigns", response=list[CampaignOut], auth=CAMPAIGN_READ_AUTH)
def campaign_list(request: HttpRequest) -> list[dict]:
    return [_campaign_out(c) for c in Campaign.objects.prefetch_related("variants").order_by("-created_at")]


@router.post("/campaigns", response={201: CampaignOut, 400: ErrorOut, 409: ErrorOut}, auth=ENGINEER_AUTH)
def campaign_create(request: HttpRequest, payload: CampaignIn):
    campaign = services.campaign_register(variant_slugs=payload.variants, prompt_category=payload.prompt_category,
                                          created_by=request.user, **payload.dict(exclude={"variants", "prompt_category"}))
    return Status(201, _campaign_out(campaign, progress=True))


@router.get("/campaigns/{slug}", response={200: CampaignOut, 404: ErrorOut}, auth=CAMPAIGN_READ_AUTH)
def campaign_detail(request: HttpRequest, slug: str):
    return Status(200, _campaign_out(_campaign_or_404(slug), progress=True))


@router.post("/campaigns/{slug}/prompts", response={201: PromptImportOut, 400: ErrorOut, 404: ErrorOut}, auth=ENGINEER_AUTH)
def campaign_prompts_import(request: HttpRequest, slug: str, payload: PromptImportIn):
    result = services.campaign_import_prompts(campaign=_campaign_or_404(slug), text=payload.jsonl)
    return Status(201, result.__dict__)


@router.post("/campaigns/{slug}/start", response={200: CampaignOut, 400: ErrorOut, 404: ErrorOut}, auth=ENGINEER_AUTH)
def campaign_start(request: HttpRequest, slug: str):
    campaign = services.campaign_start(campaign=_campaign_or_404(slug))
    return Status(200, _campaign_out(campaign, progress=True))


@router.post("/campaigns/{slug}/adaptive", response={200: AdaptiveOut, 400: ErrorOut, 404: ErrorOut}, auth=ENGINEER_AUTH)
def campaign_adaptive(request: HttpRequest, slug: str, payload: AdaptiveIn):
    """Add comparisons on the pairs the active-sampling rule favours (adaptive campaigns)."""
    added = services.campaign_add_adaptive_comparisons(campaign=_campaign_or_404(slug), n=payload.n)
    return Status(200, {"added": added})


router.add_router("", results_router)
