"""``make run``: the whole app on one machine, from a fresh clone, supervised.

Starts the embedded PostgreSQL (unless ``DATABASE_URL`` is set), applies migrations, loads the demo
once, checks the database and the broker (which also creates the broker's tables once, before any
worker starts), then runs and supervises four processes: the OpenAI-compatible simulator, a Celery
worker, Celery beat (periodic jobs) and the web server on http://127.0.0.1:8000.

Supervision: a process that exits is started again after a back-off (1 s, doubling to 60 s; reset after
a minute of healthy running) with one log line each time, so a crashed worker never ends the app. When
the embedded PostgreSQL goes away it is started again; the processes reconnect on their own. Ctrl-C (or
SIGTERM) stops every process it started and the embedded PostgreSQL it started; the data stays under
``var/`` (``EVALHUB_VAR_DIR``) for the next run.

In production run the same processes under your own supervisor instead (see README, "Operating EvalHub").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from evalhub import embedded
from evalhub.core.world import DEMO_PASSWORD, DEMO_USERS

BASE_DIR = Path(__file__).resolve().parent.parent
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
HEALTHY_AFTER = 60.0  # a process that ran this long starts the next restart from BACKOFF_FIRST


def _say(text: str) -> None:
    print(f"[evalhub] {text}", flush=True)


@dataclass
class Supervised:
    name: str
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    backoff: float = BACKOFF_FIRST
    restarts: int = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, env=self.env)
        self.started_at = time.monotonic()
        self.restart_at = None
        _say(f"{self.name} started (pid {self.proc.pid})")

    def check(self, now: float) -> None:
        """Start again a process that exited, after its back-off."""
        if self.proc is None:
            return
        code = self.proc.poll()
        if code is None:
            if now - self.started_at >= HEALTHY_AFTER:
                self.backoff = BACKOFF_FIRST
            return
        if self.restart_at is None:
            self.restart_at = now + self.backoff
            self.restarts += 1
            _say(f"{self.name} exited with code {code}; restarting in {self.backoff:.0f} s (restart #{self.restarts})")
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        elif now >= self.restart_at:
            self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class EmbeddedDatabase:
    """Watches the embedded PostgreSQL that ``make run`` uses and starts it again when it goes away."""

    def __init__(self) -> None:
        self.embedded = embedded
        self.next_try = 0.0
        self.backoff = BACKOFF_FIRST

    def url(self) -> str:
        return self.embedded.embedded_database_url()

    def check(self, now: float) -> None:
        if self.embedded.is_running() or now < self.next_try:
            return
        _say("the embedded PostgreSQL is not running; starting it again")
        try:
            self.embedded.embedded_database_url()
        except self.embedded.EmbeddedDatabaseError as exc:
            _say(f"could not start the embedded PostgreSQL (next try in {self.backoff:.0f} s): {exc}")
            self.next_try = now + self.backoff
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)
            return
        _say("the embedded PostgreSQL is back")
        self.backoff = BACKOFF_FIRST


def _wait_for_web(url: str, children: list[Supervised], timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # our own local URL
                if response.status < 500:
                    return True
        except OSError:
            pass
        for child in children:
            child.check(time.monotonic())
        time.sleep(0.3)
    return False


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")
    database: EmbeddedDatabase | None = None
    started_db = False
    if not env.get("DATABASE_URL"):
        started_db = not embedded.is_running()
        verb = "starting" if started_db else "reusing"
        _say(f"{verb} the embedded PostgreSQL (data under {embedded.PGDATA})")
        database = EmbeddedDatabase()
        try:
            env["DATABASE_URL"] = database.url()
        except embedded.EmbeddedDatabaseError as exc:
            _say(f"error: {exc}")
            return 1
    host = env.get("EVALHUB_HOST", "127.0.0.1")
    port = env.get("EVALHUB_PORT", "8000")
    sim_port = env.get("SIMULATOR_PORT", "8765")
    env.setdefault("SIMULATOR_URL", f"http://127.0.0.1:{sim_port}/v1")
    python = sys.executable
    manage = [python, str(BASE_DIR / "manage.py")]
    celery = [python, "-m", "celery", "-A", "evalhub"]
    embedded.VAR_DIR.mkdir(parents=True, exist_ok=True)
    children = [
        Supervised("simulator", [*manage, "simulate_endpoints", "--port", sim_port,
                                 "--latency-scale", env.get("SIMULATOR_LATENCY_SCALE", "0.2")], env),
        Supervised("worker", [*celery, "worker", "--loglevel", "INFO",
                              "--concurrency", env.get("CELERY_CONCURRENCY", "4")], env),
        Supervised("beat", [*celery, "beat", "--loglevel", "INFO",
                            "--schedule", str(embedded.VAR_DIR / "celerybeat-schedule")], env),
        Supervised("web", [python, "-m", "gunicorn", "evalhub.wsgi", "--bind", f"{host}:{port}",
                           "--workers", env.get("WEB_WORKERS", "2"), "--threads", "8",
                           "--access-logfile", "-", "--graceful-timeout", "5"], env),
    ]

    def stop_all() -> None:
        for child in children:
            child.stop()
        deadline = time.monotonic() + 10
        for child in children:
            child.wait(deadline)
        if started_db:
            _say("stopping the embedded PostgreSQL")
            embedded.stop()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)  # `kill` and service managers stop us like Ctrl-C does
    # Set explicitly: a shell that starts `make run` in the background hands us SIGINT ignored.
    signal.signal(signal.SIGINT, on_term)
    try:
        # One step after another, before any long-running process: migrations, the demo, then the broker
        # check that creates the broker's tables, so worker and beat never race on a fresh database.
        for step in (["migrate", "--noinput"], ["demo_data", "--if-empty"], ["healthcheck", "--no-worker"]):
            if subprocess.call([*manage, *step], env=env) != 0:
                _say(f"`manage.py {' '.join(step)}` failed; stopping")
                return 1
        for child in children:
            child.start()
        if not _wait_for_web(f"http://{host}:{port}/healthz", children):
            _say("the web server did not answer within 120 s; still trying")
        _say(f"EvalHub is running on http://{host}:{port}/  (simulated demo data; Ctrl-C stops everything)")
        _say(f"demo logins, password '{DEMO_PASSWORD}':")
        for username, role in DEMO_USERS.items():
            _say(f"  {username:<10} {role}")
        while True:
            now = time.monotonic()
            if database is not None:
                database.check(now)
            for child in children:
                child.check(now)
            time.sleep(0.5)
    except KeyboardInterrupt:
        _say("stopping")
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
