"""Online A/B experiments between model variants: registration, arms, exposures, result history.

Production events are not stored here: results read the telemetry rollups (``UnitRollup``,
``HourlyRollup``) by ``experiment_key`` = ``Experiment.key`` and ``arm`` = ``Arm.name``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from evalhub.core.models import ModelVariant, slug_validator
from experiments.telemetry.models import RollupSums


class Unit(models.TextChoices):
    USER = "user", "User"
    SESSION = "session", "Session"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class Correction(models.TextChoices):
    HOLM = "holm", "Holm (family-wise error)"
    BH = "bh", "Benjamini–Hochberg (false discovery rate)"


def new_salt() -> str:
    return secrets.token_hex(8)


class Experiment(models.Model):
    """An online experiment. ``mde`` is RELATIVE to the control's value (0.05 = a 5% change)."""

    name = models.CharField(max_length=200)
    key = models.SlugField(max_length=80, unique=True, validators=[slug_validator],
                           help_text="sent by services as the event's `experiment`")
    hypothesis = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="experiments")
    unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.USER)
    primary_metric = models.CharField(max_length=40)
    guardrails = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    mde = models.FloatField(default=0.05, validators=[MinValueValidator(1e-6)],
                            help_text="minimum detectable effect, relative to control (0.05 = 5%)")
    alpha = models.FloatField(default=0.05, validators=[MinValueValidator(1e-6), MaxValueValidator(0.5)])
    power = models.FloatField(default=0.8, validators=[MinValueValidator(0.5), MaxValueValidator(0.9999)])
    correction = models.CharField(max_length=8, choices=Correction.choices, default=Correction.HOLM)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    salt = models.CharField(max_length=64, default=new_salt, help_text="hash salt: assignment is sticky for a salt")
    planned_sample_per_arm = models.PositiveIntegerField(null=True, blank=True)
    baseline = models.JSONField(default=dict, blank=True,
                                help_text="control baseline used for the sample size (value, sd, source)")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(alpha__gt=0) & Q(alpha__lt=1), name="experiment_alpha_range"),
            models.CheckConstraint(condition=Q(power__gt=0) & Q(power__lt=1), name="experiment_power_range"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_running(self) -> bool:
        return self.status == Status.RUNNING


class Arm(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    name = models.SlugField(max_length=40, validators=[slug_validator])
    variant = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="+")
    weight = models.FloatField(validators=[MinValueValidator(0.0)])
    is_control = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_control", "id"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="arm_unique_name"),
            models.UniqueConstraint(fields=["experiment"], condition=Q(is_control=True), name="arm_one_control"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="arm_weight_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.experiment_id}:{self.name}"


class Exposure(models.Model):
    """First time a unit was assigned; one row per (experiment, unit), written ON CONFLICT DO NOTHING."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="exposures")
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="exposures")
    unit_id = models.CharField(max_length=200)
    first_exposed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "unit_id"], name="exposure_once_per_unit")]
        indexes = [models.Index(fields=["experiment", "arm"], name="exposure_exp_arm")]

    def __str__(self) -> str:
        return f"{self.experiment_id}:{self.unit_id}"


class PreUnitStat(RollupSums):
    """A unit's production behaviour BEFORE the experiment started (the CUPED covariate).

    Captured once by ``pre_period_capture`` at start from the telemetry unit rollups of traffic that
    was in no experiment; by construction it cannot be affected by the treatment.
    """

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="pre_units")
    unit_id = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "unit_id"], name="preunit_once")]


class ResultSnapshot(models.Model):
    """The results payload as computed at one time (daily): the history behind the lift-over-time chart."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="snapshots")
    computed_at = models.DateTimeField(default=timezone.now)
    day = models.DateField()
    payload = models.JSONField()

    class Meta:
        ordering = ["computed_at"]
        constraints = [models.UniqueConstraint(fields=["experiment", "day"], name="snapshot_one_per_day")]

    def __str__(self) -> str:
        return f"{self.experiment_id}:{self.day}"
