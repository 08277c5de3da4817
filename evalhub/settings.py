"""EvalHub settings: one module, every value from the environment with a safe local default.

``.env.example`` lists every variable. With ``DEBUG`` off, a missing or default ``SECRET_KEY`` or an
empty ``ALLOWED_HOSTS`` refuses to start with one clear line. The database comes from ``DATABASE_URL``
only: importing settings never starts a server. The embedded PostgreSQL under ``var/`` is started by an
explicit step that exports its URL (``make run``, ``make test``, ``manage.py``, ``python -m evalhub.embedded
exec CMD...``; see ``evalhub.embedded``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "local-development-only-not-secret"


def env_str(name: str, default: str = "") -> str:
    """A string from ``NAME`` or from the file named by ``NAME_FILE`` (for mounted secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Parse ``postgresql://user:pass@host:port/name?host=/socket/dir`` into Django's DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "postgresql+psycopg"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgresql:// (EvalHub runs on PostgreSQL only), got {parsed.scheme or url!r}"
        )
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL names no database (postgresql://user@host:port/NAME)")
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    try:
        port = parsed.port
    except ValueError:
        raise ImproperlyConfigured(f"DATABASE_URL has a bad port: {parsed.netloc!r}") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": query.pop("host", None) or parsed.hostname or "",
        "PORT": str(port or ""),
        "OPTIONS": query,
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": env_str("TEST_DATABASE_NAME") or None},
    }


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == DEFAULT_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set to a private value when DEBUG is off")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list this site's host names when DEBUG is off")
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is unset: set it to a PostgreSQL URL, or start the embedded PostgreSQL explicitly "
        "(`make run`, `python manage.py ...`, or `python -m evalhub.embedded exec CMD...`)"
    )
DATABASES = {"default": database_from_url(DATABASE_URL)}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "ninja",  # serves Swagger UI's assets from static files: /api/v1/docs works offline
    "evalhub.core",
    "judging",
    "experiments.suites",
    "experiments.telemetry",
    "experiments.abtests",
    "evalhub.failures",
    "evalhub.dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the form (CSRF does): NUL anywhere in the input or an unparseable body is 400.
    "evalhub.core.middleware.RejectBadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Event batch endpoints check NUL per event themselves (every bad event named by index in one answer).
NUL_CHECK_EXEMPT_PATHS = ("/api/v1/events", "/v1/traces")

ROOT_URLCONF = "evalhub.urls"
WSGI_APPLICATION = "evalhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "evalhub.core.context_processors.roles",
            ],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Sessions are read through the per-process cache and written through to the database, so every
# process sees every session and a warm one costs no query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 20 * 1024 * 1024)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Celery: the broker defaults to the same PostgreSQL through kombu's SQLAlchemy transport, so a
# fresh machine needs no Redis or RabbitMQ. Set CELERY_BROKER_URL for redis:// or amqp://.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "sqla+" + DATABASE_URL.replace(
    "postgresql://", "postgresql+psycopg://", 1
).replace("postgres://", "postgresql+psycopg://", 1)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a killed worker's task is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# On a lost broker connection, running late-ack tasks are cancelled and redelivered (every task is idempotent).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# kombu passes SQLAlchemy transport options to create_engine: keep connections healthy across DB restarts.
CELERY_BROKER_TRANSPORT_OPTIONS = {"pool_pre_ping": True} if CELERY_BROKER_URL.startswith("sqla+") else {}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}
# Worker liveness for /healthz (see evalhub.core.health); an unrun heartbeat expires with its period.
CELERY_BEAT_SCHEDULE["core-heartbeat"] = {"task": "core.heartbeat", "schedule": 15.0, "options": {"expires": 15.0}}
# Telemetry: daily event partitions created ahead; rollups reconciled with raw events nightly.
CELERY_BEAT_SCHEDULE["telemetry-partitions-ensure"] = {
    "task": "experiments.telemetry.tasks.partitions_ensure_task", "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["telemetry-rollups-reconcile"] = {
    "task": "experiments.telemetry.tasks.rollups_refresh_task", "schedule": 86400.0, "kwargs": {"hours": 48},
}
# Leadership dashboards: keep the cached payload warm so pages read, never compute.
CELERY_BEAT_SCHEDULE["dashboards-refresh"] = {
    "task": "evalhub.dashboards.tasks.dashboards_refresh_task", "schedule": 240.0,
}
DASHBOARDS_CACHE_SECONDS = env_int("DASHBOARDS_CACHE_SECONDS", 300)
DASHBOARDS_MAX_STALE_SECONDS = env_int("DASHBOARDS_MAX_STALE_SECONDS", 3600)
# Leaderboards: a refresh whose message was lost is re-enqueued, so its board is delayed, not frozen.
# Failure modes: every variant's default analysis kept warm (the pages and the scorecard column read it).
CELERY_BEAT_SCHEDULE["failures-refresh"] = {
    "task": "evalhub.failures.tasks.failures_refresh_task", "schedule": 240.0, "options": {"expires": 240.0},
}
CELERY_BEAT_SCHEDULE["judging-leaderboard-pending-sweep"] = {
    "task": "judging.tasks.leaderboard_pending_sweep_task", "schedule": 30.0, "options": {"expires": 30.0},
}
# Eval runs: resume runs that stalled (a killed worker's task the broker did not redeliver). An
# unprocessed pass expires rather than queueing behind busy workers: the next one does the same work.
CELERY_BEAT_SCHEDULE["suites-runs-watchdog"] = {
    "task": "experiments.suites.tasks.runs_watchdog_task", "schedule": 60.0, "options": {"expires": 60.0},
}
# A/B experiments: a daily result snapshot per running experiment feeds the lift-over-time chart.
CELERY_BEAT_SCHEDULE["abtests-daily-snapshots"] = {
    "task": "experiments.abtests.tasks.result_snapshots_daily_task", "schedule": crontab(hour=0, minute=10),
}

# Model endpoints and the demo simulator.
SIMULATOR_URL = env_str("SIMULATOR_URL", "http://127.0.0.1:8765/v1")
# Environment variables a variant may name as its endpoint key: only names with one of these prefixes
# (set by the operator), so nobody can make workers send DATABASE_URL or SECRET_KEY to a URL they chose.
ENDPOINT_KEY_ENV_PREFIXES = tuple(env_list("ENDPOINT_KEY_ENV_PREFIXES", "EVALHUB_KEY_"))
MODEL_HTTP_TIMEOUT = float(env_str("MODEL_HTTP_TIMEOUT", "60"))
ENDPOINT_CONCURRENCY = env_int("ENDPOINT_CONCURRENCY", 8)
# Eval runs: a running run whose workers gave no sign of life for this long is resumed by the
# watchdog. Live chunks report at least every 30 s, so shorter values would resume healthy runs.
SUITE_RUN_STALL_SECONDS = env_int("SUITE_RUN_STALL_SECONDS", 300)
if SUITE_RUN_STALL_SECONDS < 60:
    raise ImproperlyConfigured(f"SUITE_RUN_STALL_SECONDS must be at least 60, got {SUITE_RUN_STALL_SECONDS}")

# Production events: prompt and response text are stored only when this allows it.
EVENTS_STORE_TEXT = env_bool("EVENTS_STORE_TEXT", False)
# Re-ask detection (experiments/telemetry/reask.py): same user or session, within the window, prompts'
# character n-gram Jaccard >= the threshold.
TELEMETRY_REASK_WINDOW_SECONDS = env_int("TELEMETRY_REASK_WINDOW_SECONDS", 300)
TELEMETRY_REASK_SIMILARITY = float(env_str("TELEMETRY_REASK_SIMILARITY", "0.3"))
# "user": a user asking again in a new session counts; "session": only within one session.
TELEMETRY_REASK_SCOPE = env_str("TELEMETRY_REASK_SCOPE", "user")
if TELEMETRY_REASK_SCOPE not in {"user", "session"}:
    raise ImproperlyConfigured("TELEMETRY_REASK_SCOPE must be 'user' or 'session'")
TELEMETRY_PARTITION_DAYS_AHEAD = env_int("TELEMETRY_PARTITION_DAYS_AHEAD", 7)
# The events API and the OTLP receiver store and count events at once and leave re-ask detection and the prompts'
# slice features (language, length, code, recency, safety: evalhub.text.features) to the worker: one pending row
# per batch, written in the ingest transaction and drained by a beat task every TELEMETRY_DRAIN_SECONDS.
TELEMETRY_DEFERRED = env_bool("TELEMETRY_DEFERRED", True)
TELEMETRY_DRAIN_SECONDS = float(env_str("TELEMETRY_DRAIN_SECONDS", "5"))
CELERY_BEAT_SCHEDULE["telemetry-pending-drain"] = {
    "task": "experiments.telemetry.tasks.pending_drain_task", "schedule": TELEMETRY_DRAIN_SECONDS,
    "options": {"expires": TELEMETRY_DRAIN_SECONDS},
}
# Optional LLM-as-judge refusal classifier (experiments/telemetry/judge.py): the slug of an existing
# variant that reads answers after ingestion (a Celery task) and decides refusal; "" = off.
TELEMETRY_REFUSAL_JUDGE = env_str("TELEMETRY_REFUSAL_JUDGE", "")
# "unsure": answers with decline vocabulary the API signals did not decide; "all": every such answer.
TELEMETRY_REFUSAL_JUDGE_SCOPE = env_str("TELEMETRY_REFUSAL_JUDGE_SCOPE", "unsure")
if TELEMETRY_REFUSAL_JUDGE_SCOPE not in {"unsure", "all"}:
    raise ImproperlyConfigured("TELEMETRY_REFUSAL_JUDGE_SCOPE must be 'unsure' or 'all'")
# Retry-After of a 503 from the events API and the OTLP receiver (database unavailable). OpenTelemetry
# SDK exporters wait exactly this long between attempts and give up once the next wait would pass
# their export timeout (10 s by default): 3 s puts attempts at 3, 6 and 9 s, riding out a database
# restart of up to ~9 s (1 s spent all six attempts within 5 s).
TELEMETRY_RETRY_AFTER_SECONDS = env_int("TELEMETRY_RETRY_AFTER_SECONDS", 3)
TELEMETRY_RETENTION_DAYS = env_int("TELEMETRY_RETENTION_DAYS", 0)  # raw events; 0 keeps them forever
TELEMETRY_MAX_BODY_BYTES = env_int("TELEMETRY_MAX_BODY_BYTES", 16 * 1024 * 1024)

API_KEY_LAST_USED_RESOLUTION_SECONDS = 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

TESTING = "pytest" in sys.modules
if TESTING:
    # Test users are created by the hundred; a slow password hash would dominate fixture time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
