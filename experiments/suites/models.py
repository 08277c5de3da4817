"""Eval suites: versioned sets of items, runs of a version against a variant, one result per item.

Invariants the database itself enforces (not just the code):

* ``SuiteItem`` is unique per (version, external_id).
* ``RunResult`` is unique per (run, item) — the exactly-once guarantee. Workers insert results with
  ``INSERT … ON CONFLICT (run_id, item_id) DO NOTHING``, so two workers racing on one item, or a
  task redelivered after its worker was killed, can never produce a second row.
* A ``SuiteVersion`` is ``locked`` as soon as a run uses it; the services refuse to change a locked
  version's items (an import or edit then creates the next version).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from evalhub.core.models import ModelVariant, slug_validator
from evalhub.text.features import derive_features


class SourceFormat(models.TextChoices):
    JSONL = "jsonl", "EvalHub JSONL"
    YAML = "yaml", "EvalHub YAML"
    OPENAI_EVALS = "openai_evals", "OpenAI evals samples JSONL"
    INPUT_TARGET = "input_target", "{input, target} JSONL"
    JSON = "json", "JSON array"
    CSV = "csv", "CSV"
    INSPECT = "inspect", "inspect_ai dataset"
    OPENAI_REGISTRY = "openai_registry", "OpenAI evals registry YAML + samples"
    PROMPTFOO = "promptfoo", "promptfoo config or tests"
    GENERATED = "generated", "Generated (demo/bench)"


class Suite(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, validators=[slug_validator])
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class SuiteVersion(models.Model):
    suite = models.ForeignKey(Suite, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    locked = models.BooleanField(default=False, help_text="set when a run uses this version; it is then immutable")
    source_format = models.CharField(max_length=20, choices=SourceFormat.choices, default=SourceFormat.JSONL)
    default_grader = models.JSONField(default=dict, blank=True,
                                      help_text="grader config for items that name none")
    item_count = models.PositiveIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True, help_text="file-level fields kept from the import")
    import_notes = models.JSONField(default=list, blank=True,
                                    help_text="what the importer kept, mapped or left out, in plain words")

    class Meta:
        ordering = ["suite", "-number"]
        constraints = [models.UniqueConstraint(fields=["suite", "number"], name="suiteversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.suite.slug} v{self.number}"


def item_features(messages: object) -> dict[str, str]:
    """Derived dimensions of an item's input (``evalhub.text.features``): its last user turn, its user turns."""
    user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"] if isinstance(messages, list) else []
    prompt = content_text(user[-1].get("content")) if user else ""
    return derive_features(prompt, turns=len(user) or None)


class SuiteItemQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[override]
        """Every way items are written (import, demo) stores their derived features with them."""
        objs = list(objs)
        for obj in objs:
            if not obj.features:
                obj.features = item_features(obj.input)
        return super().bulk_create(objs, *args, **kwargs)


class SuiteItem(models.Model):
    version = models.ForeignKey(SuiteVersion, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    input = models.JSONField(help_text='chat messages: [{"role": "user", "content": "..."}]')
    targets = models.JSONField(default=list, blank=True, help_text="list of acceptable targets")
    category = models.CharField(max_length=80, blank=True)
    group = models.CharField(max_length=200, blank=True, help_text="cluster for clustered standard errors")
    grader = models.JSONField(default=dict, blank=True, help_text="grader config; {} = the version's default")
    choices = models.JSONField(default=list, blank=True, help_text="multiple-choice options, lettered A, B, ...")
    tools = models.JSONField(default=list, blank=True, help_text="OpenAI-style tool definitions sent with the input")
    context = models.JSONField(default=list, blank=True, help_text="retrieved passages: [{\"id\", \"text\"}]")
    metadata = models.JSONField(default=dict, blank=True, help_text="fields kept from the source file")
    features = models.JSONField(default=dict, blank=True,
                                help_text="dimensions derived from the input at write time (evalhub.text.features)")

    objects = SuiteItemQuerySet.as_manager()

    class Meta:
        ordering = ["version", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "external_id"], name="suiteitem_unique_external_id")]

    def __str__(self) -> str:
        return f"{self.version} #{self.external_id}"

    def save(self, *args, **kwargs) -> None:
        if not self.features:
            self.features = item_features(self.input)
        super().save(*args, **kwargs)

    @property
    def prompt_text(self) -> str:
        for message in reversed(self.input or []):
            if message.get("role") == "user":
                return content_text(message.get("content"))
        return ""

    def grader_config(self) -> dict:
        if self.grader:
            return self.grader
        if self.version.default_grader:
            return self.version.default_grader
        return {"type": "choice"} if self.choices else {"type": "exact"}


def content_text(content: object) -> str:
    """The text of a message's content: a string, or the text parts of a content-part list."""
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return "" if content is None else str(content)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class RunSource(models.TextChoices):
    ENDPOINT = "endpoint", "Called the variant's endpoint"
    RECORDED = "recorded", "Recorded outputs imported"
    SIMULATED = "simulated", "Simulated in-process (demo)"


class Run(models.Model):
    version = models.ForeignKey(SuiteVersion, on_delete=models.PROTECT, related_name="runs")
    variant = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="suite_runs")
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    source = models.CharField(max_length=12, choices=RunSource.choices, default=RunSource.ENDPOINT)
    concurrency = models.PositiveIntegerField(default=8, validators=[MinValueValidator(1), MaxValueValidator(256)],
                                              help_text="max calls in flight to this variant's endpoint")
    timeout_s = models.FloatField(default=60.0, validators=[MinValueValidator(0.1)],
                                  help_text="per-request timeout in seconds")
    max_retries = models.PositiveIntegerField(default=4, validators=[MaxValueValidator(10)],
                                              help_text="retries of 429/5xx/timeouts before an item errors")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Liveness, for the watchdog (``services.runs_resume_stalled``): set at dispatch and by every live
    # chunk as it writes results, or every ~30 s while it waits for endpoint slots or slow calls.
    heartbeat_at = models.DateTimeField(null=True, blank=True,
                                        help_text="last sign of life from a worker running this run")
    resumed_count = models.PositiveIntegerField(
        default=0, help_text="times the watchdog re-dispatched this run after it stalled (manual resumes not counted)")
    error = models.TextField(blank=True)
    use_cache = models.BooleanField(default=True, help_text="reuse outputs of earlier results with the same "
                                                            "request (see suites.cache); only changes are called")
    # Totals cached when the run finishes (the live page counts results instead).
    n_items = models.PositiveIntegerField(default=0)
    n_done = models.PositiveIntegerField(default=0)
    n_errors = models.PositiveIntegerField(default=0)
    n_scored = models.PositiveIntegerField(default=0, help_text="results with a score (pending human grades excluded)")
    score_sum = models.FloatField(default=0.0)
    tokens_total = models.BigIntegerField(default=0)
    cost_total = models.DecimalField(max_digits=16, decimal_places=8, default=Decimal("0"))

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk}: {self.version} × {self.variant_id}"

    @property
    def is_active(self) -> bool:
        return self.status in {RunStatus.QUEUED, RunStatus.RUNNING}

    @property
    def mean_score(self) -> float | None:
        """Cached mean over scored results (pending human grades count as absent, as on the run page)."""
        return self.score_sum / self.n_scored if self.n_scored else None


class RunResult(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(SuiteItem, on_delete=models.CASCADE, related_name="results")
    output = models.TextField(blank=True)
    extracted = models.TextField(blank=True, help_text="the answer the grader extracted / the vote's winner")
    score = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
                              help_text="null while a human grade is pending")
    passed = models.BooleanField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    latency_ms = models.FloatField(default=0.0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    reasoning_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=8, default=Decimal("0"))
    samples = models.JSONField(default=list, blank=True, help_text="per-sample outputs, tokens and latency")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    finish_reason = models.CharField(max_length=40, blank=True)
    tool_calls = models.JSONField(default=list, blank=True, help_text="tool calls the model made: [{name, arguments}]")
    graders = models.JSONField(default=list, blank=True, help_text="per-grader scores when an item has several")
    grader_usage = models.JSONField(default=dict, blank=True,
                                    help_text="judge calls made to grade: calls, tokens, cost_usd, latency_ms")
    cache_key = models.CharField(max_length=64, blank=True, db_index=True,
                                 help_text="hash of what the endpoint was asked (empty for errors and recorded runs)")
    cached = models.BooleanField(default=False, help_text="the output was reused from an earlier run's result")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item__position", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "item"], name="runresult_one_per_run_item"),
            models.CheckConstraint(condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=1)),
                                   name="runresult_score_in_unit_interval"),
        ]

    def __str__(self) -> str:
        return f"result run={self.run_id} item={self.item_id}"


class HumanGrade(models.Model):
    """A human rubric grading task for one result, routed to reviewers (first come, first graded)."""

    result = models.OneToOneField(RunResult, on_delete=models.CASCADE, related_name="human_grade")
    rubric = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    score = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    explanation = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["graded_at"], name="humangrade_pending")]

    def __str__(self) -> str:
        return f"human grade for {self.result_id}"
