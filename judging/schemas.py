"""Pydantic schemas for the judging API. Reviewer-facing schemas carry NO variant identifiers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field


class TurnOut(Schema):
    role: str
    html: str


class AnswerOut(Schema):
    html: str  # sanitised server-side (evalhub.core.render.render_markdown)


class ProgressOut(Schema):
    done: int
    total_available: int


class CampaignRefOut(Schema):
    slug: str
    name: str


class NextOut(Schema):
    token: str
    campaign: CampaignRefOut
    instructions_html: str
    turns: list[TurnOut]
    left: AnswerOut
    right: AnswerOut
    criteria: list[str]
    expires_at: str
    progress: ProgressOut


class EmptyQueueOut(Schema):
    token: None = None
    detail: str
    progress: ProgressOut


class VoteIn(Schema):
    choice: Literal["left", "right", "tie", "both_bad"]
    criteria: dict[str, Literal["left", "right", "tie"]] = Field(default_factory=dict)
    rationale: str = Field(default="", max_length=5000)


class SkipIn(Schema):
    reason: str = Field(default="", max_length=300)


class RevealOut(Schema):
    left: str
    right: str


class VoteOut(Schema):
    ok: bool
    reveal: RevealOut | None = None
    next: NextOut | None = None


class StoredVoteOut(Schema):
    choice: str
    criteria: dict[str, str]
    rationale: str
    created_at: str


class VoteConflictOut(Schema):
    detail: str
    vote: StoredVoteOut | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)


class SkipOut(Schema):
    ok: bool
    next: NextOut | None = None


class CampaignIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(default="", max_length=80, pattern=r"^([a-z0-9][a-z0-9._-]*)?$")
    instructions: str = ""
    variants: list[str] = Field(min_length=2, description="variant slugs")
    prompt_category: str | None = Field(default=None, description="add existing prompts of this category ('*' = all)")
    pair_design: Literal["all", "adaptive"] = "all"
    redundancy_k: int = Field(default=1, ge=1, le=50)
    criteria: list[str] = Field(default_factory=list, max_length=10)
    gold_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    reveal_after_vote: bool = False
    lease_seconds: int = Field(default=600, ge=10, le=86400)


class CampaignProgressOut(Schema):
    comparisons: int
    gold: int
    judgments_needed: int
    judgments_done: int
    judgments: int
    identity_flagged: int
    excluded: int
    answers_present: int
    answers_needed: int


class CampaignOut(Schema):
    slug: str
    name: str
    instructions: str
    status: str
    pair_design: str
    redundancy_k: int
    criteria: list[str]
    gold_rate: float
    reveal_after_vote: bool
    lease_seconds: int
    variants: list[str]
    created_at: datetime
    progress: CampaignProgressOut | None = None


class PromptImportIn(Schema):
    jsonl: str = Field(min_length=1, description="JSON Lines: one prompt per line")


class PromptImportOut(Schema):
    prompts: int
    answers: int
    gold: int


class AdaptiveIn(Schema):
    n: int = Field(default=50, ge=1, le=10000, description="comparisons to add")


class AdaptiveOut(Schema):
    added: int


class ArenaImportOut(Schema):
    imported: int
    skipped_duplicates: int = Field(description="battles already stored (under any source label) or repeated")
    created_variants: list[str]
    import_batch: str | None
    skipped_named: int = Field(description='battles with "anony": false, left out (include_named=true keeps them)')


class ImportIssueOut(Schema):
    line: int
    field: str
    message: str


class ArenaImportErrorOut(Schema):
    detail: str
    errors: list[ImportIssueOut]


class LeaderboardOut(Schema):
    """The latest leaderboard snapshot of a scope (campaign or overall) and slice."""

    model_config = ConfigDict(extra="allow")

    campaign: str | None = Field(description="campaign slug; null = overall (campaigns and imported battles)")
    computed_at: str | None
    n_votes: int = Field(description="votes counted in the board (see definitions)")
    n_judgments: int | None = Field(None, description="judgments stored in the scope's campaigns, counted or not")
    n_arena_battles: int = Field(0, description="imported Arena battles (overall board)")
    flagged_reviewers: int = Field(0, description="reviewers flagged as answering at random, left out by default")
    include_flagged: bool = False
    definitions: dict[str, str] = Field(default_factory=dict, description="one sentence per count")
    rounds: Any = None
    board_key: str | None = None
    board: dict[str, Any] | None = Field(None, description="rows with rating, CI and rank interval per variant")
    style: dict[str, Any] | None = None
    categories: Any = None
    criteria: Any = None
    message: str | None = None


class JudgmentExportRowOut(Schema):
    campaign: str
    prompt_id: int
    category: str
    variant_a: str
    variant_b: str
    outcome: Literal["a", "b", "tie", "both_bad"]
    criteria: dict[str, str]
    rationale: str
    reviewer: str
    seconds: float | None
    created_at: str
    excluded: bool
    identity_flag: bool


class JudgmentsExportOut(Schema):
    campaign: str
    columns: list[str]
    judgments: list[JudgmentExportRowOut]
