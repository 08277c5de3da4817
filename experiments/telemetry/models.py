"""Production events and their rollups.

Raw events live in ``telemetry_event``, a PostgreSQL table partitioned by ``ts`` (one partition a
day, created ahead by ``partitions_ensure_task``; a DEFAULT partition catches anything outside the
created range so ingestion never fails on a clock-skewed client). Django cannot create partitioned
tables, so ``Event`` is ``managed = False`` and migration 0002 creates it with ``RunSQL``.

Dedupe: PostgreSQL only enforces uniqueness per partition when the key includes the partition key,
so ``event_id`` alone cannot be unique on ``telemetry_event``. ``EventKey`` (event_id PRIMARY KEY)
is the global dedupe table: ingestion inserts keys ``ON CONFLICT DO NOTHING RETURNING`` and writes
only the returned events, in the same transaction — exactly once even with concurrent clients.

Dashboards and experiments read ``HourlyRollup`` / ``UnitRollup`` only, never raw events.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from evalhub.core.models import ModelVariant
from experiments.telemetry.buckets import empty_histogram


class Feedback(models.IntegerChoices):
    DOWN = -1, "thumbs down"
    UP = 1, "thumbs up"


class Event(models.Model):
    """One model call (read-only mirror of the partitioned table; write through services)."""

    event_id = models.CharField(max_length=128, primary_key=True)  # real PK is (event_id, ts)
    ts = models.DateTimeField()
    received_at = models.DateTimeField()
    source = models.CharField(max_length=16)
    variant = models.ForeignKey(ModelVariant, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    experiment_key = models.CharField(max_length=100)
    arm = models.CharField(max_length=100)
    unit_id = models.CharField(max_length=200)
    session_id = models.CharField(max_length=200)
    latency_ms = models.FloatField(null=True)
    ttft_ms = models.FloatField(null=True)
    input_tokens = models.IntegerField()
    output_tokens = models.IntegerField()
    reasoning_tokens = models.IntegerField()
    cost_usd = models.FloatField()
    cost_priced = models.BooleanField(help_text="True when EvalHub priced it from the variant's price table")
    finish_reason = models.CharField(max_length=40)
    error_type = models.CharField(max_length=100, default="", help_text="non-empty: the call failed (an error)")
    refused = models.BooleanField()
    refusal_source = models.CharField(max_length=16,
                                      help_text="client | api_refusal | finish_reason | text | judge | none")
    # The refusal judge's call (TELEMETRY_REFUSAL_JUDGE), NULL when it did not read this answer.
    judge_input_tokens = models.IntegerField(null=True)
    judge_output_tokens = models.IntegerField(null=True)
    judge_cost_usd = models.FloatField(null=True)
    feedback = models.SmallIntegerField(null=True, choices=Feedback.choices)
    task_success = models.BooleanField(null=True)
    regenerate = models.BooleanField()
    reasked = models.BooleanField(help_text="a later call of the same session re-asked this answer")
    reask_detectable = models.BooleanField(
        default=False, help_text="a later call of the same scope came within the re-ask window, so a re-ask could be seen")
    prompt_text = models.TextField(null=True)  # noqa: DJ001 - NULL: text not stored (EVENTS_STORE_TEXT off)
    response_text = models.TextField(null=True)  # noqa: DJ001 - as prompt_text
    scores = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict)
    features = models.JSONField(default=dict, help_text="dimensions derived from the prompt at ingestion")

    class Meta:
        managed = False
        db_table = "telemetry_event"

    def __str__(self) -> str:
        return self.event_id


class EventKey(models.Model):
    """Global dedupe of client event ids (see the module docstring)."""

    event_id = models.CharField(max_length=128, primary_key=True)
    ts = models.DateTimeField()

    class Meta:
        db_table = "telemetry_event_key"

    def __str__(self) -> str:
        return self.event_id


class SessionState(models.Model):
    """The last call of each session (or unit when no session): what re-ask detection compares to.

    Stores a fingerprint of the prompt (hashed normalised tokens), never its text, so detection
    works when ``EVENTS_STORE_TEXT`` is off.
    """

    session_key = models.CharField(max_length=420, primary_key=True)
    event_id = models.CharField(max_length=128)
    ts = models.DateTimeField()
    # No database constraint or index: this row is rewritten on every call of its session, and a
    # per-row foreign-key check plus a second index cost more than the rest of the upsert. Deleting
    # a variant still removes its rows (Django's CASCADE).
    variant = models.ForeignKey(ModelVariant, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    experiment_key = models.CharField(max_length=100, blank=True, default="")
    arm = models.CharField(max_length=100, blank=True, default="")
    unit_id = models.CharField(max_length=200, blank=True, default="")
    # The prompt's re-ask fingerprint (``reask.fingerprint_bytes``: sorted big-endian int64s).
    prompt_fp = models.BinaryField(default=b"", blank=True)

    class Meta:
        indexes = [models.Index(fields=["ts"], name="telemetry_session_ts")]

    def __str__(self) -> str:
        return self.session_key


class ModelAlias(models.Model):
    """Maps a model name seen in OpenTelemetry spans (gen_ai.response.model / request.model) to a variant.

    ``provider`` blank matches any provider. ``is_prefix``: the rule matches every model name that
    starts with ``model_name`` (``acme-70b`` → ``acme-70b-2026-11-01``); the longest matching prefix
    wins. Without an alias, the variant whose ``endpoint_model`` or ``slug`` equals the model name
    (or the name without a date suffix) is used — when exactly one variant does.
    """

    provider = models.CharField(max_length=100, blank=True, default="", help_text="gen_ai.provider.name; blank = any")
    model_name = models.CharField(max_length=200)
    is_prefix = models.BooleanField(default=False, help_text="match every model name starting with model_name")
    variant = models.ForeignKey(ModelVariant, on_delete=models.CASCADE, related_name="telemetry_aliases")

    class Meta:
        ordering = ["provider", "model_name"]
        constraints = [models.UniqueConstraint(fields=["provider", "model_name"], name="telemetry_alias_unique")]
        verbose_name_plural = "model aliases"

    def __str__(self) -> str:
        star = "*" if self.is_prefix else ""
        return f"{self.provider or '*'}/{self.model_name}{star} → {self.variant_id}"


class RollupSums(models.Model):
    """The per-cell sums every rollup (and the A/B pre-period capture) keeps."""

    n = models.BigIntegerField(default=0)
    latency_sum = models.FloatField(default=0.0)
    cost_sum = models.FloatField(default=0.0)
    refusals = models.BigIntegerField(default=0)
    reasks = models.BigIntegerField(default=0)
    # answers followed by another call of their scope within the re-ask window: the re-ask rate's denominator
    reask_detectable = models.BigIntegerField(default=0)
    feedback_n = models.BigIntegerField(default=0)
    thumbs_up = models.BigIntegerField(default=0)
    success_n = models.BigIntegerField(default=0)
    successes = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class HourlyRollup(RollupSums):
    """Sufficient statistics of one variant (and experiment arm) for one UTC hour.

    ``experiment_key`` / ``arm`` are "" for events outside experiments. Every event is counted in
    exactly one row (its own experiment/arm), so per-variant totals sum over all rows of a variant.
    ``latency_hist`` follows ``buckets.LATENCY_BUCKET_EDGES_MS``. ``reasks`` counts answers of this
    row that were re-asked (a re-ask is charged to the earlier answer's variant and hour);
    ``reask_detectable`` those followed by another call of their scope within the re-ask window
    (only there could a re-ask be seen), the denominator of the re-ask rate.
    ``errors`` counts failed calls; their latency is left out of the latency sums and histogram
    (a timeout measures the client's patience, not the model). ``refusals_<signal>`` split
    ``refusals`` by the signal that decided (``refusal.classify_refusal``, or the refusal judge);
    ``judge_calls`` / ``judge_cost_sum`` count the judge's calls on this row's answers and their cost.
    """

    hour = models.DateTimeField()
    variant = models.ForeignKey(ModelVariant, on_delete=models.CASCADE, related_name="telemetry_hourly")
    experiment_key = models.CharField(max_length=100, blank=True, default="")
    arm = models.CharField(max_length=100, blank=True, default="")
    latency_n = models.BigIntegerField(default=0)
    latency_sum_sq = models.FloatField(default=0.0)
    latency_hist = ArrayField(models.BigIntegerField(), default=empty_histogram)
    ttft_n = models.BigIntegerField(default=0)
    ttft_sum = models.FloatField(default=0.0)
    ttft_sum_sq = models.FloatField(default=0.0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    cost_sum_sq = models.FloatField(default=0.0)
    errors = models.BigIntegerField(default=0)
    refusals_client = models.BigIntegerField(default=0)
    refusals_api = models.BigIntegerField(default=0)
    refusals_finish_reason = models.BigIntegerField(default=0)
    refusals_text = models.BigIntegerField(default=0)
    refusals_judge = models.BigIntegerField(default=0)
    judge_calls = models.BigIntegerField(default=0, help_text="answers the refusal judge read")
    judge_cost_sum = models.FloatField(default=0.0, help_text="what the refusal judge's calls cost (USD)")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "variant", "experiment_key", "arm"], name="telemetry_hourly_unique"),
        ]
        indexes = [
            models.Index(fields=["experiment_key", "hour"], name="telemetry_hourly_exp"),
            models.Index(fields=["hour"], name="telemetry_hourly_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.variant_id} {self.experiment_key}/{self.arm}"


class UnitRollup(RollupSums):
    """Per experiment arm per unit (user): the input of user-level A/B analysis (delta method).

    Only events with an ``experiment_key`` are rolled up here.
    """

    experiment_key = models.CharField(max_length=100)
    arm = models.CharField(max_length=100)
    unit_id = models.CharField(max_length=200)
    variant = models.ForeignKey(ModelVariant, on_delete=models.CASCADE, related_name="telemetry_units")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment_key", "arm", "unit_id"], name="telemetry_unit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.experiment_key}/{self.arm}/{self.unit_id}"


class PendingBatch(models.Model):
    """An ingested batch whose derived fields are still to come (``TELEMETRY_DEFERRED``): re-asks and the
    prompts' slice features. One row per batch; ``events`` is a JSON list of ``[event_id, ts, prompt, turns,
    scope]`` (``services._to_derive``).

    Written in the ingest transaction (one INSERT, no broker message per request) and drained by
    ``services.pending_drain`` from a Celery beat task: a drain detects the re-asks, derives the features,
    updates events and rollups and deletes its rows in one transaction, so a killed worker leaves them for the
    next drain. The prompt's first ``evalhub.text.features.SCAN_CHARS`` characters wait here (seconds) even
    when ``EVENTS_STORE_TEXT`` is off.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    events = models.TextField()
    n_events = models.PositiveIntegerField(default=0, help_text="entries in ``events``: the backlog's size without "
                                                                 "parsing them")

    def __str__(self) -> str:
        return f"pending batch #{self.pk}"
