"""Health checks for operators: database, broker, worker + beat.

``/healthz`` answers any caller with the overall status only (200 ``ok`` / ``degraded``, 503 ``down``),
so a load balancer can poll it; staff (admins) also get each check, including the broker URL the web
process's Celery app really uses (password masked) beside the one settings configure — a process
that failed to load ``evalhub.celery`` shows Celery's default ``amqp://guest@localhost`` there.

Worker liveness: beat schedules ``core.heartbeat`` every ``HEARTBEAT_SECONDS``; the worker that runs it
stamps ``ServiceHeartbeat('worker')``. A stamp older than ``HEARTBEAT_STALE_SECONDS`` means no worker is
consuming the queue (or beat is not scheduling): background jobs would wait.

A broker connection is opened at most once per ``BROKER_CHECK_TTL_SECONDS`` per process for callers that
accept a recent answer (``/healthz`` polled by a load balancer every second); a failed check is never
reused, and ``manage.py healthcheck`` always connects.
"""

from __future__ import annotations

import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu.utils.url import maybe_sanitize_url

from evalhub.celery import app
from evalhub.core.models import ServiceHeartbeat

HEARTBEAT_SECONDS = 15.0
HEARTBEAT_STALE_SECONDS = 90.0
BROKER_CHECK_TTL_SECONDS = 5.0

# ((app's broker URL, configured URL), monotonic time, check) of this process's last successful broker check.
_last_broker_ok: tuple[tuple[str, str], float, Check] | None = None


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    ms: float
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Health:
    status: str  # ok | degraded | down
    checks: dict[str, Check]

    @property
    def http_status(self) -> int:
        return 503 if self.status == "down" else 200

    def as_dict(self, *, detailed: bool) -> dict:
        if not detailed:
            return {"status": self.status}
        return {"status": self.status, "checks": {name: asdict(check) for name, check in self.checks.items()}}


def _timed(fn) -> Check:
    start = time.perf_counter()
    try:
        ok, detail, extra = fn()
    except Exception as exc:  # a health check reports every failure, it never raises
        ok, detail, extra = False, f"{type(exc).__name__}: {exc}"[:300], {}
    return Check(ok=ok, detail=detail, ms=round((time.perf_counter() - start) * 1000, 1), extra=extra)


def _database() -> tuple[bool, str, dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, "SELECT 1 answered", {"vendor": connection.vendor}


def _broker() -> tuple[bool, str, dict]:
    app_url = maybe_sanitize_url(app.conf.broker_url or "")
    configured = maybe_sanitize_url(settings.CELERY_BROKER_URL)
    extra = {"url": app_url, "configured_url": configured, "matches_settings": app_url == configured,
             "default_queue": app.conf.task_default_queue}
    if app_url != configured:
        return False, "the web process's Celery app does not use CELERY_BROKER_URL", extra
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=3)
        extra["transport"] = conn.transport.driver_name
    return True, "connected", extra


def _worker() -> tuple[bool, str, dict]:
    beat = ServiceHeartbeat.objects.filter(name="worker").first()
    if beat is None:
        return False, "no worker has run the heartbeat task yet", {}
    age = (timezone.now() - beat.seen_at).total_seconds()
    extra = {"last_seen_seconds": round(age, 1), **beat.detail}
    if age > HEARTBEAT_STALE_SECONDS:
        return False, f"last heartbeat {age:.0f} s ago: no worker or no beat", extra
    return True, f"heartbeat {age:.0f} s ago", extra


def _broker_check(*, fresh: bool) -> Check:
    global _last_broker_ok
    now, url = time.monotonic(), (str(app.conf.broker_url or ""), str(settings.CELERY_BROKER_URL))
    if not fresh and _last_broker_ok is not None:
        checked_url, checked_at, check = _last_broker_ok
        if checked_url == url and now - checked_at < BROKER_CHECK_TTL_SECONDS:
            return Check(check.ok, check.detail, 0.0, {**check.extra, "checked_seconds_ago": round(now - checked_at, 1)})
    check = _timed(_broker)
    _last_broker_ok = (url, now, check) if check.ok else None
    return check


def health_check(*, fresh: bool = False) -> Health:
    """Every check; ``fresh`` connects to the broker even if this process did within the last
    ``BROKER_CHECK_TTL_SECONDS``."""
    checks = {"database": _timed(_database), "broker": _broker_check(fresh=fresh)}
    checks["worker"] = _timed(_worker) if checks["database"].ok else Check(False, "database down", 0.0)
    if not (checks["database"].ok and checks["broker"].ok):
        status = "down"
    elif not checks["worker"].ok:
        status = "degraded"
    else:
        status = "ok"
    return Health(status=status, checks=checks)


def heartbeat_record(*, name: str = "worker", now: datetime | None = None) -> None:
    """Stamp a service's heartbeat (one upsert)."""
    ServiceHeartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": now or timezone.now(), "detail": {"hostname": socket.gethostname()}},
    )
