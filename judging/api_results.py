"""API for results (leaderboards, arena import, judgment export), mounted by judging/api.py at /judging."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router, Status

from evalhub.core.auth import ENGINEER_ROLES, READ_AUTH, ApiKeyAuth, SessionRoleAuth
from evalhub.core.errors import NotFound
from evalhub.core.schemas import ErrorOut
from judging import exports, results
from judging.importers import DEFAULT_SOURCE, arena_import
from judging.models import Campaign
from judging.read_models import Leaderboard
from judging.schemas import ArenaImportOut, JudgmentsExportOut

router = Router()

IMPORT_AUTH = [ApiKeyAuth("ingest"), SessionRoleAuth(*ENGINEER_ROLES)]
EXPORT_AUTH = [ApiKeyAuth("read"), SessionRoleAuth(*ENGINEER_ROLES)]


@router.get("/leaderboard", auth=READ_AUTH, response={200: Leaderboard, 404: ErrorOut})
def leaderboard(request: HttpRequest, campaign: str = "", category: str = "", criterion: str = "",
                style: bool = False, include_flagged: bool = False) -> Leaderboard:
    """The latest snapshot's board for a scope (campaign slug or overall) and slice. Votes of reviewers
    flagged as answering at random are left out unless ``include_flagged``; a disconnected comparison
    graph gives one board per group (``board.groups``) with the reason in ``board.disconnected``."""
    view = results.leaderboard_view(campaign_slug=campaign, category=category, criterion=criterion, style=style,
                                    include_flagged=include_flagged)
    return results.leaderboard_read_model(view)


@router.post("/imports/arena", auth=IMPORT_AUTH, response={201: ArenaImportOut, 400: ErrorOut,
                                                           401: ErrorOut, 403: ErrorOut})
def import_arena(request: HttpRequest, source: str = DEFAULT_SOURCE, create_variants: bool = False,
                 include_named: bool = False):
    """Body: a JSON array or JSON Lines of Arena battles. All or nothing; duplicates (under any
    source label) are skipped; ``"anony": false`` battles are skipped unless ``include_named``."""
    summary = arena_import(data=request.body, source=source, create_variants=create_variants,
                           include_named=include_named)
    return Status(201, {"imported": summary.imported, "skipped_duplicates": summary.skipped_duplicates,
                 "created_variants": summary.created_variants, "import_batch": summary.import_batch,
                 "skipped_named": summary.skipped_named})


@router.get("/campaigns/{slug}/judgments", auth=EXPORT_AUTH, response={200: JudgmentsExportOut, 404: ErrorOut})
def campaign_judgments(request: HttpRequest, slug: str) -> HttpResponse:
    """Every judgment of a campaign, streamed as ``{"campaign", "columns", "judgments": [...]}``."""
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        raise NotFound(f"no campaign {slug!r}", "slug")
    return StreamingHttpResponse(exports.json_chunks(campaign), content_type="application/json")

