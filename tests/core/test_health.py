"""/healthz and `manage.py healthcheck`: database, broker (the one the process really uses), worker heartbeat."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from evalhub.core.health import HEARTBEAT_STALE_SECONDS, heartbeat_record
from evalhub.core.tasks import heartbeat_task
from tests.conftest import BASE_DIR

pytestmark = pytest.mark.django_db


def test_anonymous_callers_get_the_status_only(client):
    heartbeat_record()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_admins_get_every_check_with_the_broker_the_process_uses(admin_client_, settings):
    heartbeat_task()  # what a worker does when beat schedules it
    body = admin_client_.get("/healthz").json()
    assert body["status"] == "ok"
    broker = body["checks"]["broker"]["extra"]
    assert broker["matches_settings"] is True
    assert broker["url"] == broker["configured_url"]
    assert broker["url"].split("://")[0] == settings.CELERY_BROKER_URL.split("://")[0]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is True


def test_no_recent_worker_heartbeat_is_degraded(admin_client_):
    heartbeat_record(now=timezone.now() - timedelta(seconds=HEARTBEAT_STALE_SECONDS + 5))
    response = admin_client_.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"]["ok"] is False


def test_an_unreachable_broker_is_down(admin_client_, settings):
    from evalhub.celery import app

    heartbeat_record()
    original = app.conf.broker_url
    unreachable = "amqp://guest:guest@127.0.0.1:1//"
    app.conf.broker_url = settings.CELERY_BROKER_URL = unreachable
    try:
        response = admin_client_.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"]["broker"]["ok"] is False


def test_healthcheck_command_fails_when_down(settings, capsys):
    from evalhub.celery import app

    call_command("healthcheck", "--no-worker")
    assert "broker    ok" in capsys.readouterr().out
    original = app.conf.broker_url
    app.conf.broker_url = settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"
    try:
        with pytest.raises(CommandError):
            call_command("healthcheck", "--no-worker")
    finally:
        app.conf.broker_url = original


def test_django_processes_bind_tasks_to_the_configured_broker():
    """A fresh web process (wsgi) and a manage.py-style process: tasks use evalhub's app and broker, not
    Celery's default app with amqp://guest@localhost (nothing in this test imports evalhub.celery itself)."""
    code = (
        "import evalhub.wsgi\n"
        "from django.conf import settings\n"
        "from judging.tasks import leaderboard_refresh_task as t\n"
        "print(t.app.main, t.app.conf.broker_url == settings.CELERY_BROKER_URL)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["evalhub", "True"]


def test_favicon_is_served(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"<svg" in body


def test_api_docs_load_their_assets_from_this_app(admin_client_):
    html = admin_client_.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_healthz_reuses_a_recent_broker_check_and_the_command_never_does(client, monkeypatch):
    """A load balancer polling /healthz every second opens one broker connection per
    BROKER_CHECK_TTL_SECONDS, not one per call; a failed check is never reused."""
    from evalhub.core import health

    opened = []
    real = health._broker

    def counting():
        opened.append(1)
        return real()

    monkeypatch.setattr(health, "_broker", counting)
    monkeypatch.setattr(health, "_last_broker_ok", None)
    heartbeat_record()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert len(opened) == 1
    call_command("healthcheck", "--no-worker")
    assert len(opened) == 2
    monkeypatch.setattr(health, "BROKER_CHECK_TTL_SECONDS", 0.0)
    client.get("/healthz")
    assert len(opened) == 3

    def failing():
        opened.append(1)
        return False, "refused", {}

    monkeypatch.setattr(health, "_broker", failing)
    monkeypatch.setattr(health, "BROKER_CHECK_TTL_SECONDS", 60.0)
    monkeypatch.setattr(health, "_last_broker_ok", None)
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").status_code == 503
    assert len(opened) == 5
