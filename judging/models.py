"""Judging data: campaigns of blind pairwise comparisons, reviewer assignments (leases) and judgments.

Everything about a pair is stored in CANONICAL order: ``variant_a.pk < variant_b.pk``. What the
reviewer saw on the left/right is recorded on the assignment (``swapped``) and translated back when
the vote is stored, so counting wins in SQL never needs to know the display order.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from evalhub.core.models import Completion, ModelVariant, Prompt, slug_validator
from evalhub.text.features import derive_features


class PairDesign(models.TextChoices):
    ALL = "all", "All pairs"
    ADAPTIVE = "adaptive", "Adaptive (active sampling)"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    GENERATING = "generating", "Generating answers"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Outcome(models.TextChoices):
    """A vote, canonical: "a" means the canonical A (lower variant pk) was better."""

    A = "a", "A better"
    B = "b", "B better"
    TIE = "tie", "Tie"
    BOTH_BAD = "both_bad", "Both bad"


class CriterionAnswer(models.TextChoices):
    A = "a", "A"
    B = "b", "B"
    TIE = "tie", "Tie"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    JUDGED = "judged", "Judged"
    SKIPPED = "skipped", "Skipped"
    EXPIRED = "expired", "Expired"


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, validators=[slug_validator])
    instructions = models.TextField(blank=True, help_text="shown to reviewers above every comparison")
    variants = models.ManyToManyField(ModelVariant, related_name="campaigns")
    prompts = models.ManyToManyField(Prompt, related_name="campaigns", blank=True)
    pair_design = models.CharField(max_length=16, choices=PairDesign.choices, default=PairDesign.ALL)
    redundancy_k = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="judgments per comparison, each from a distinct reviewer",
    )
    criteria = models.JSONField(default=list, blank=True, help_text='e.g. ["correctness", "tone"]')
    gold_rate = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="share of served comparisons that are gold (known answer)",
    )
    reveal_after_vote = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lease_seconds = models.PositiveIntegerField(default=600, validators=[MinValueValidator(10)])
    exclude_identity_votes = models.BooleanField(
        default=True, help_text="leave votes on identity-revealing answers out of ratings"
    )
    # Debounce flag for the background leaderboard refresh: set by the first vote after a refresh,
    # cleared by the refresh task, so a burst of votes enqueues one task (see services._refresh_soon).
    leaderboard_refresh_pending_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(gold_rate__gte=0) & Q(gold_rate__lte=1), name="campaign_gold_rate_0_1"),
            models.CheckConstraint(condition=Q(redundancy_k__gte=1), name="campaign_k_positive"),
        ]

    def __str__(self) -> str:
        return self.name


def prompt_features(messages: object) -> dict[str, str]:
    """Derived dimensions of a prompt's messages (``evalhub.text.features``): last user turn, user turns."""
    user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"] if isinstance(messages, list) else []
    content = user[-1].get("content") if user else ""
    if isinstance(content, list):
        content = "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return derive_features(str(content or ""), turns=len(user) or None)


class ComparisonQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[override]
        """Every way comparisons are written stores their prompt's derived features with them."""
        objs = list(objs)
        missing = {obj.prompt_id for obj in objs if not obj.features}
        if missing:
            messages = dict(Prompt.objects.filter(pk__in=missing).values_list("pk", "messages"))
            cache = {pk: prompt_features(m) for pk, m in messages.items()}
            for obj in objs:
                if not obj.features:
                    obj.features = cache.get(obj.prompt_id, {})
        return super().bulk_create(objs, *args, **kwargs)


class Comparison(models.Model):
    """One (prompt, pair of answers) to be judged ``judgments_needed`` times by distinct reviewers."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="comparisons")
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="+")
    completion_a = models.ForeignKey(Completion, on_delete=models.PROTECT, related_name="+")
    completion_b = models.ForeignKey(Completion, on_delete=models.PROTECT, related_name="+")
    # Denormalised from the completions so the canonical-order constraint and SQL counting are cheap.
    variant_a = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="+")
    variant_b = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="+")
    is_gold = models.BooleanField(default=False)
    # NULL: not a gold item (distinct from any answer).
    gold_answer = models.CharField(max_length=8, choices=CriterionAnswer.choices, null=True, blank=True)  # noqa: DJ001
    judgments_needed = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    judgments_done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    features = models.JSONField(default=dict, blank=True,
                                help_text="dimensions derived from the prompt at write time (evalhub.text.features)")

    objects = ComparisonQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(variant_a__lt=F("variant_b")), name="comparison_canonical_order"),
            models.CheckConstraint(
                condition=Q(is_gold=False) | Q(gold_answer__isnull=False), name="comparison_gold_has_answer"
            ),
            models.UniqueConstraint(
                fields=["campaign", "prompt", "variant_a", "variant_b"], name="comparison_unique_pair_per_prompt"
            ),
        ]
        indexes = [
            # The assignment query scans open comparisons of one campaign, gold or not, in id order.
            models.Index(
                fields=["campaign", "is_gold", "id"], name="comparison_open_idx",
                condition=Q(judgments_done__lt=F("judgments_needed")),
            ),
        ]

    def __str__(self) -> str:
        return f"comparison {self.pk} ({self.variant_a_id} vs {self.variant_b_id})"

    def save(self, *args, **kwargs) -> None:
        if not self.features and self.prompt_id is not None:
            self.features = prompt_features(Prompt.objects.values_list("messages", flat=True).get(pk=self.prompt_id))
        super().save(*args, **kwargs)


class Assignment(models.Model):
    """A lease of a comparison to one reviewer. The token (not the id) is what URLs and the API carry."""

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="assignments")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judging_assignments")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    swapped = models.BooleanField(help_text="True: canonical B was shown on the left")
    leased_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED)
    skip_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comparison", "reviewer"], name="assignment_once_per_reviewer"),
        ]
        indexes = [
            models.Index(fields=["reviewer", "status", "expires_at"], name="assignment_reviewer_open_idx"),
            models.Index(
                fields=["comparison", "expires_at"], name="assignment_active_lease_idx",
                condition=Q(status="assigned"),
            ),
        ]

    def __str__(self) -> str:
        return f"assignment {self.token}"


class Judgment(models.Model):
    """One reviewer's vote on one comparison, stored in canonical order."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="judgment")
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="judgments")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="judgments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judgments")
    variant_a = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="+")
    variant_b = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    criteria = models.JSONField(default=dict, blank=True, help_text='{"correctness": "a"|"b"|"tie"} canonical')
    rationale = models.TextField(blank=True, max_length=5000)
    seconds_taken = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    identity_flag = models.BooleanField(default=False, help_text="an answer reveals the model's identity")
    excluded = models.BooleanField(default=False, help_text="reviewer excluded by an engineer")
    gold_correct = models.BooleanField(null=True, blank=True)
    category = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(variant_a__lt=F("variant_b")), name="judgment_canonical_order"),
            models.CheckConstraint(condition=Q(outcome__in=[o.value for o in Outcome]), name="judgment_outcome_valid"),
        ]
        indexes = [
            models.Index(fields=["campaign", "variant_a", "variant_b"], name="judgment_pair_idx"),
            models.Index(fields=["reviewer", "campaign"], name="judgment_reviewer_idx"),
        ]

    def __str__(self) -> str:
        return f"judgment {self.pk}: {self.outcome}"


class ReviewerExclusion(models.Model):
    """An engineer's decision to leave a reviewer's judgments out of ratings (campaign null = everywhere)."""

    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="exclusions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judging_exclusions")
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "reviewer"], name="exclusion_once_per_campaign"),
            models.UniqueConstraint(
                fields=["reviewer"], condition=Q(campaign__isnull=True), name="exclusion_once_global"
            ),
        ]

    def __str__(self) -> str:
        return f"exclude {self.reviewer_id} from {self.campaign_id or 'all'}"


class ArenaBattle(models.Model):
    """An imported battle log row (e.g. Chatbot Arena format), written by ``judging.importers``."""

    source = models.CharField(max_length=100, help_text="label of the imported log")
    model_a = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="+")
    model_b = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="+")
    winner = models.CharField(max_length=10, choices=Outcome.choices, help_text="relative to model_a/model_b as given")
    judge = models.CharField(max_length=200, blank=True)
    tstamp = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=80, blank=True)
    turn = models.PositiveIntegerField(default=1)
    import_batch = models.UUIDField(default=uuid.uuid4, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["source", "model_a", "model_b"], name="arenabattle_pair_idx")]

    def __str__(self) -> str:
        return f"{self.source}: {self.model_a_id} vs {self.model_b_id} → {self.winner}"


class SnapshotKind(models.TextChoices):
    BT = "bt", "Bradley–Terry"
    ELO = "elo", "Elo"
    STYLE = "style", "Style-controlled BT"


class LeaderboardSnapshot(models.Model):
    """A computed leaderboard (campaign null = overall), written by ``judging.leaderboard.snapshot_refresh``."""

    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="snapshots")
    kind = models.CharField(max_length=16, default=SnapshotKind.BT)
    computed_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict)
    n_judgments = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-computed_at"]
        indexes = [models.Index(fields=["campaign", "kind", "-computed_at"], name="snapshot_latest_idx")]

    def __str__(self) -> str:
        return f"{self.kind} snapshot of {self.campaign_id or 'all'} at {self.computed_at:%Y-%m-%d %H:%M}"


class CompletionStyle(models.Model):
    """Style features of one completion, cached for style-controlled leaderboards.

    Computed in SQL (char_length and regexp_count over ``Completion.output``) the first time a
    snapshot needs the completion, then reused: regex scans over every answer on every refresh
    would dominate the recompute. Completions are written once (``completion_generate`` is
    idempotent), so the cache never goes stale.
    """

    completion = models.OneToOneField(Completion, on_delete=models.CASCADE, primary_key=True, related_name="+")
    length = models.PositiveIntegerField()
    headers = models.PositiveIntegerField()
    lists = models.PositiveIntegerField()
    bold = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"style of completion {self.completion_id}"
