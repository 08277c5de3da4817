"""``make run``: the whole app on one machine, from a fresh clone.

Starts the embedded PostgreSQL (unless ``DATABASE_URL`` is set), applies migrations, loads the demo
once, then runs the OpenAI-compatible simulator, a real Celery worker (with beat for periodic
jobs) and the web server on http://127.0.0.1:8000. Ctrl-C stops every process it started; the
data stays under ``var/`` for the next run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _say(text: str) -> None:
    print(f"[evalhub] {text}", flush=True)


def main() -> int:
    from evalhub import embedded

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")
    started_db = False
    if not env.get("DATABASE_URL"):
        started_db = not embedded.is_running()
        _say("starting the embedded PostgreSQL (data under var/pgdata)" if started_db else "reusing the embedded PostgreSQL")
        try:
            env["DATABASE_URL"] = embedded.embedded_database_url()
        except embedded.EmbeddedDatabaseError as exc:
            _say(f"error: {exc}")
            return 1
    host = env.get("EVALHUB_HOST", "127.0.0.1")
    port = env.get("EVALHUB_PORT", "8000")
    sim_port = env.get("SIMULATOR_PORT", "8765")
    env.setdefault("SIMULATOR_URL", f"http://127.0.0.1:{sim_port}/v1")
    python = sys.executable
    manage = [python, str(BASE_DIR / "manage.py")]
    children: list[subprocess.Popen] = []

    def stop_all() -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.kill()
        if started_db:
            _say("stopping the embedded PostgreSQL")
            embedded.stop()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)  # `kill` and service managers stop us like Ctrl-C does
    # Set explicitly: a shell that starts `make run` in the background hands us SIGINT ignored.
    signal.signal(signal.SIGINT, on_term)
    try:
        if subprocess.call([*manage, "migrate", "--noinput"], env=env) != 0:
            stop_all()
            return 1
        if subprocess.call([*manage, "demo_data", "--if-empty"], env=env) != 0:
            stop_all()
            return 1
        children.append(subprocess.Popen([*manage, "simulate_endpoints", "--port", sim_port,
                                          "--latency-scale", env.get("SIMULATOR_LATENCY_SCALE", "0.2")], env=env))
        children.append(subprocess.Popen([python, "-m", "celery", "-A", "evalhub", "worker", "-B", "--loglevel", "INFO",
                                          "--concurrency", env.get("CELERY_CONCURRENCY", "4"),
                                          "--schedule", str(BASE_DIR / "var" / "celerybeat-schedule")], env=env))
        children.append(subprocess.Popen([python, "-m", "gunicorn", "evalhub.wsgi", "--bind", f"{host}:{port}",
                                          "--workers", env.get("WEB_WORKERS", "2"), "--threads", "8",
                                          "--access-logfile", "-", "--graceful-timeout", "5"], env=env))
        from evalhub.core.world import DEMO_PASSWORD, DEMO_USERS

        time.sleep(1.5)
        _say(f"EvalHub is running on http://{host}:{port}/  (simulated demo data; Ctrl-C stops everything)")
        _say(f"demo logins, password '{DEMO_PASSWORD}':")
        for username, role in DEMO_USERS.items():
            _say(f"  {username:<10} {role}")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        _say("a process exited; stopping the others")
        return 1
    except KeyboardInterrupt:
        _say("stopping")
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
