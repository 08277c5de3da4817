"""Core data shared by every app: model variants with their scaling facts, prompts, completions,
roles and API keys."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    REVIEWER = "reviewer", "Reviewer"
    ENGINEER = "engineer", "Engineer"
    VIEWER = "viewer", "Viewer (leadership)"
    ADMIN = "admin", "Admin"


class PostTraining(models.TextChoices):
    NONE = "none", "None"
    SFT = "sft", "SFT"
    RLHF = "rlhf", "RLHF"
    DPO = "dpo", "DPO"
    RL = "rl", "RL"
    OTHER = "other", "Other"


class TestTimeStrategy(models.TextChoices):
    GREEDY = "greedy", "Greedy"
    SAMPLING = "sampling", "Sampling"
    SELF_CONSISTENCY = "self_consistency", "Self-consistency (majority of n)"
    BEST_OF_N = "best_of_n", "Best-of-n (judge picks)"
    REASONING = "reasoning", "Reasoning budget"


slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9._-]*$", "use lower-case letters, digits, '.', '_' and '-'")


REQUEST_OPTION_KEYS = {"send", "reasoning", "reasoning_effort", "extra_body", "images"}
SENDABLE = {"temperature", "seed", "max_tokens", "n"}
# Fields the connector sets itself: extra_body may not replace them.
RESERVED_BODY = {"model", "messages", "tools", "n", "seed", "stream"}


def validate_request_options(value: object) -> None:
    """Per-variant request options (see ``connector.request_body``); errors name the key."""
    if not isinstance(value, dict):
        raise ValidationError("request_options must be an object")
    unknown = sorted(set(value) - REQUEST_OPTION_KEYS)
    if unknown:
        raise ValidationError(f"request_options.{unknown[0]}: unknown; use {', '.join(sorted(REQUEST_OPTION_KEYS))}")
    send = value.get("send")
    if send is not None and (not isinstance(send, list) or not set(send) <= SENDABLE):
        raise ValidationError(f"request_options.send: a list of {', '.join(sorted(SENDABLE))}")
    if value.get("reasoning") not in (None, "effort", "budget", "both", "none"):
        raise ValidationError("request_options.reasoning: choose effort, budget, both or none")
    if value.get("reasoning_effort") not in (None, "minimal", "low", "medium", "high"):
        raise ValidationError("request_options.reasoning_effort: choose minimal, low, medium or high")
    extra = value.get("extra_body")
    if extra is not None and (not isinstance(extra, dict) or set(extra) & RESERVED_BODY):
        raise ValidationError(f"request_options.extra_body: an object not setting {', '.join(sorted(RESERVED_BODY))}")
    if "images" in value and not isinstance(value["images"], bool):
        raise ValidationError("request_options.images: true or false")


def endpoint_key_env_allowed(name: str) -> bool:
    """Whether a variant may name this environment variable as its endpoint key (operator's prefixes)."""
    return any(name.startswith(prefix) for prefix in settings.ENDPOINT_KEY_ENV_PREFIXES)


def endpoint_key_env_refusal() -> str:
    prefixes = ", ".join(f"{p}*" for p in settings.ENDPOINT_KEY_ENV_PREFIXES) or "(none: the operator allowed no key)"
    return f"not an allowed key variable: use a name matching {prefixes} (ENDPOINT_KEY_ENV_PREFIXES)"


class ModelVariant(models.Model):
    """One servable variant of a model, with the facts the compute-vs-post-training question needs."""

    slug = models.SlugField(max_length=80, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    family = models.CharField(max_length=80, help_text="model family, e.g. 'acme'")
    base_model = models.CharField(max_length=120, help_text="the pretrained model this variant starts from")
    parameter_count = models.BigIntegerField(validators=[MinValueValidator(1)], help_text="parameters")
    pretraining_tokens = models.BigIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    post_training = models.CharField(max_length=16, choices=PostTraining.choices, default=PostTraining.NONE)
    test_time_strategy = models.CharField(
        max_length=24, choices=TestTimeStrategy.choices, default=TestTimeStrategy.GREEDY
    )
    samples_n = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="n for self-consistency / best-of-n"
    )
    reasoning_budget_tokens = models.PositiveIntegerField(null=True, blank=True)
    temperature = models.FloatField(default=0.0, validators=[MinValueValidator(0.0)])
    judge_variant = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="for best-of-n: the variant that picks the best sample",
    )
    uses_retrieval = models.BooleanField(default=False)
    uses_tools = models.BooleanField(default=False)
    price_input_per_mtok = models.DecimalField(
        max_digits=12, decimal_places=6, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text="USD per million input tokens",
    )
    price_output_per_mtok = models.DecimalField(
        max_digits=12, decimal_places=6, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text="USD per million output (and reasoning) tokens",
    )
    endpoint_base_url = models.URLField(blank=True, help_text="OpenAI-compatible base URL, e.g. http://host:8000/v1")
    endpoint_model = models.CharField(max_length=200, blank=True, help_text="model name sent to the endpoint")
    endpoint_api_key_env = models.CharField(
        max_length=100, blank=True,
        validators=[RegexValidator(r"^[A-Z_][A-Z0-9_]*$", "an environment variable name such as OPENAI_API_KEY")],
        help_text="the NAME of the environment variable holding the endpoint's key (never the key)",
    )
    request_options = models.JSONField(
        default=dict, blank=True, validators=[validate_request_options],
        help_text='what the request body carries: {"send": ["temperature", "seed", "max_tokens"], '
                  '"reasoning": "effort" | "budget" | "both" | "none", "reasoning_effort": "low", '
                  '"extra_body": {...}, "images": true}; {} = safe defaults for the endpoint kind',
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(test_time_strategy__in=["self_consistency", "best_of_n"]) | Q(samples_n__gte=2),
                name="variant_sampling_needs_n",
                violation_error_message="self-consistency and best-of-n need samples_n of at least 2",
            ),
            models.CheckConstraint(
                condition=~Q(test_time_strategy="reasoning") | Q(reasoning_budget_tokens__isnull=False, reasoning_budget_tokens__gte=1),
                name="variant_reasoning_needs_budget",
                violation_error_message="a reasoning strategy needs reasoning_budget_tokens",
            ),
        ]
        permissions = [
            ("act_as_reviewer", "Can judge comparisons"),
            ("act_as_engineer", "Can manage variants, suites, runs, campaigns and experiments"),
            ("view_dashboards", "Can read leadership dashboards and results"),
        ]

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        super().clean()
        if self.endpoint_api_key_env and not endpoint_key_env_allowed(self.endpoint_api_key_env):
            raise ValidationError({"endpoint_api_key_env": [endpoint_key_env_refusal()]})

    @property
    def endpoint_key_missing(self) -> bool:
        """The variant names a key variable that is not set here: calls would go out without a key."""
        return bool(self.endpoint_api_key_env) and not os.environ.get(self.endpoint_api_key_env)

    @property
    def endpoint_key_warning(self) -> str:
        if not self.endpoint_key_missing:
            return ""
        return (f"endpoint_api_key_env: {self.endpoint_api_key_env} is not set in this environment; "
                "calls to the endpoint will fail until the operator sets it")

    @property
    def request_options_text(self) -> str:
        """The request options as compact JSON for pages; empty means the endpoint kind's safe defaults."""
        return json.dumps(self.request_options, sort_keys=True, ensure_ascii=False) if self.request_options else ""

    @property
    def judge_variant_slug(self) -> str | None:
        return self.judge_variant.slug if self.judge_variant_id else None

    @property
    def improvement_kind(self) -> str:
        """How this variant was improved over its base: post-training, test-time compute, retrieval/tools, scale."""
        if self.post_training != PostTraining.NONE:
            return "post-training"
        if self.test_time_strategy in {TestTimeStrategy.SELF_CONSISTENCY, TestTimeStrategy.BEST_OF_N,
                                       TestTimeStrategy.REASONING}:
            return "test-time compute"
        if self.uses_retrieval or self.uses_tools:
            return "retrieval/tools"
        return "pretraining scale"

    @property
    def compute_multiplier(self) -> float:
        """Test-time compute relative to one greedy sample (n samples, or a reasoning budget in 1k tokens)."""
        if self.test_time_strategy in {TestTimeStrategy.SELF_CONSISTENCY, TestTimeStrategy.BEST_OF_N}:
            return float(self.samples_n)
        if self.test_time_strategy == TestTimeStrategy.REASONING and self.reasoning_budget_tokens:
            return 1.0 + self.reasoning_budget_tokens / 1000.0
        return 1.0

    def price_for(self, input_tokens: int, output_tokens: int) -> Decimal:
        """Cost in USD of a call from the variant's price table."""
        million = Decimal(1_000_000)
        return (Decimal(input_tokens) * self.price_input_per_mtok + Decimal(output_tokens) * self.price_output_per_mtok) / million


class Prompt(models.Model):
    """A conversation to send to variants: OpenAI-style chat messages."""

    messages = models.JSONField(help_text='[{"role": "user", "content": "..."}]')
    category = models.CharField(max_length=80, blank=True, db_index=True)
    tags = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    language = models.CharField(max_length=16, blank=True)
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"prompt {self.pk}: {self.first_user_text[:60]}"

    @property
    def first_user_text(self) -> str:
        for message in self.messages or []:
            if message.get("role") == "user":
                return str(message.get("content", ""))
        return ""


class Completion(models.Model):
    """One variant's answer to one prompt."""

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="completions")
    variant = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="completions")
    output = models.TextField()
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    reasoning_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    cost_usd = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    source = models.CharField(max_length=20, default="generated", help_text="generated | imported")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prompt", "variant"], name="completion_one_per_prompt_variant")]

    def __str__(self) -> str:
        return f"{self.variant_id}→{self.prompt_id}"


class ApiKeyScope(models.TextChoices):
    INGEST = "ingest", "Ingest events"
    READ = "read", "Read results"
    RUN = "run", "Start eval runs and read their results"


API_KEY_PREFIX = "ehk"


def hash_api_key(raw_key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast keyed hash is enough (no password KDF needed);
    # the SECRET_KEY pepper means a leaked table alone cannot be checked against guesses.
    return hmac.new(settings.SECRET_KEY.encode(), raw_key.encode(), hashlib.sha256).hexdigest()


def generate_api_key() -> tuple[str, str]:
    """Return (visible prefix, full key). The full key is shown once and never stored."""
    prefix = secrets.token_hex(4)
    return prefix, f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


class ApiKey(models.Model):
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=16, choices=ApiKeyScope.choices))
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(scopes=[]), name="apikey_has_scope")]

    def __str__(self) -> str:
        return f"{self.name} ({API_KEY_PREFIX}_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def display(self) -> str:
        return f"{API_KEY_PREFIX}_{self.prefix}_…"


class ServiceHeartbeat(models.Model):
    """The last sign of life of a background service (``worker``: a Celery worker ran the heartbeat task
    that ``beat`` scheduled). ``/healthz`` reads it to tell operators whether background jobs run."""

    name = models.CharField(max_length=40, unique=True)
    seen_at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
