"""Judging API: the reviewer queue (session auth, CSRF) and campaign management for engineers.

Reviewer endpoints return only what ``judging.selectors.assignment_payload`` builds: sanitised
HTML of the prompt and the two answers in the assignment's left/right order — never a variant id,
slug, name, endpoint or price before the vote.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.errors import HttpError

from evalhub.core.auth import ApiKeyAuth, SessionRoleAuth
from evalhub.core.models import ModelVariant, Prompt, Role
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

REVIEWER_AUTH = [SessionRoleAuth(Role.REVIEWER, Role.ADMIN)]
ENGINEER_AUTH = [SessionRoleAuth(Role.ENGINEER, Role.ADMIN)]
CAMPAIGN_READ_AUTH = [ApiKeyAuth("read"), SessionRoleAuth(Role.ENGINEER, Role.ADMIN)]


def _validation_response(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    from evalhub.api import api

    if hasattr(exc, "message_dict"):
        errors = [{"field": field, "message": " ".join(msgs)} for field, msgs in exc.message_dict.items()]
    else:
        errors = [{"field": "", "message": " ".join(exc.messages)}]
    detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


def _campaign_or_404(slug: str) -> Campaign:
    campaign = selectors.campaign_by_slug(slug)
    if campaign is None:
        raise HttpError(404, f"campaign: no campaign with slug '{slug}'")
    return campaign


def _next_payload(request: HttpRequest, campaign: Campaign | None) -> dict | None:
    assignment = assignment_next(reviewer=request.user, campaign=campaign)
    return None if assignment is None else selectors.assignment_payload(assignment, request.user)


# ---------------------------------------------------------------- reviewer queue


@router.get("/next", response={200: NextOut | EmptyQueueOut, 404: ErrorOut}, auth=REVIEWER_AUTH)
def next_comparison(request: HttpRequest, campaign: str | None = None):
    target = _campaign_or_404(campaign) if campaign else None
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
    try:
        judgment = services.judgment_record(assignment_token=token, reviewer=request.user, choice=payload.choice,
                                            criteria=payload.criteria, rationale=payload.rationale)
    except services.JudgingError as exc:
        if exc.vote is not None:
            return Status(exc.status, {"detail": exc.message, "vote": exc.vote})
        raise HttpError(exc.status, exc.message) from None
    except DjangoValidationError as exc:
        return _validation_response(request, exc)
    assignment = judgment.assignment
    following = None
    if next:
        following = _next_payload(request, _campaign_or_404(campaign) if campaign else None)
    return Status(200, {"ok": True, "reveal": selectors.reveal_for(judgment, assignment), "next": following})


@router.post("/assignments/{token}/skip", response={200: SkipOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             auth=REVIEWER_AUTH)
def skip(request: HttpRequest, token: str, payload: SkipIn, campaign: str | None = None):
    try:
        services.assignment_skip(token=token, reviewer=request.user, reason=payload.reason)
    except services.JudgingError as exc:
        raise HttpError(exc.status, exc.message) from None
    scope = _campaign_or_404(campaign) if campaign else None
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


@router.post("/campaigns", response={201: CampaignOut, 400: ErrorOut}, auth=ENGINEER_AUTH)
def campaign_create(request: HttpRequest, payload: CampaignIn):
    variants = list(ModelVariant.objects.filter(slug__in=payload.variants))
    missing = sorted(set(payload.variants) - {v.slug for v in variants})
    if missing:
        return _validation_response(request, DjangoValidationError({"variants": [f"unknown variant slug(s): {', '.join(missing)}"]}))
    prompts = None
    if payload.prompt_category:
        qs = Prompt.objects.all()
        if payload.prompt_category != "*":
            qs = qs.filter(category=payload.prompt_category)
        prompts = list(qs)
    fields = payload.dict(exclude={"variants", "prompt_category"})
    if fields.get("slug") and Campaign.objects.filter(slug=fields["slug"]).exists():
        return _validation_response(request, DjangoValidationError({"slug": ["a campaign with this slug exists"]}))
    try:
        campaign = services.campaign_create(variants=variants, prompts=prompts, created_by=request.user, **fields)
    except DjangoValidationError as exc:
        return _validation_response(request, exc)
    return Status(201, _campaign_out(campaign, progress=True))


@router.get("/campaigns/{slug}", response={200: CampaignOut, 404: ErrorOut}, auth=CAMPAIGN_READ_AUTH)
def campaign_detail(request: HttpRequest, slug: str):
    return Status(200, _campaign_out(_campaign_or_404(slug), progress=True))


@router.post("/campaigns/{slug}/prompts", response={201: PromptImportOut, 400: ErrorOut, 404: ErrorOut}, auth=ENGINEER_AUTH)
def campaign_prompts_import(request: HttpRequest, slug: str, payload: PromptImportIn):
    campaign = _campaign_or_404(slug)
    try:
        result = services.campaign_import_prompts(campaign=campaign, text=payload.jsonl)
    except DjangoValidationError as exc:
        return _validation_response(request, exc)
    return Status(201, result.__dict__)


@router.post("/campaigns/{slug}/start", response={200: CampaignOut, 400: ErrorOut, 404: ErrorOut}, auth=ENGINEER_AUTH)
def campaign_start(request: HttpRequest, slug: str):
    campaign = _campaign_or_404(slug)
    try:
        campaign = services.campaign_start(campaign=campaign)
    except DjangoValidationError as exc:
        return _validation_response(request, exc)
    return Status(200, _campaign_out(campaign, progress=True))


@router.post("/campaigns/{slug}/adaptive", response={200: AdaptiveOut, 400: ErrorOut, 404: ErrorOut}, auth=ENGINEER_AUTH)
def campaign_adaptive(request: HttpRequest, slug: str, payload: AdaptiveIn):
    """Add comparisons on the pairs the active-sampling rule favours (adaptive campaigns)."""
    campaign = _campaign_or_404(slug)
    if campaign.pair_design != "adaptive":
        return _validation_response(request, DjangoValidationError({"pair_design": ["this campaign uses all pairs"]}))
    return Status(200, {"added": services.campaign_add_adaptive_comparisons(campaign=campaign, n=payload.n)})


router.add_router("", results_router)
