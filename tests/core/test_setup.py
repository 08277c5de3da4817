"""Settings refuse unsafe production configuration with one clear line; migrations are complete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=full_env, capture_output=True,
                          text=True, timeout=120)


def test_debug_off_refuses_default_secret_key():
    result = _manage("check", DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["configuration error: SECRET_KEY must be set to a private value when DEBUG is off"]


def test_debug_off_refuses_empty_allowed_hosts():
    result = _manage("check", DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must list" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_database_url_is_one_line():
    result = _manage("check", DATABASE_URL="mysql://root@localhost/x")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "postgresql://" in result.stderr


def test_unreachable_database_is_one_line():
    result = _manage("migrate", "--check", DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "database" in result.stderr.lower()


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _postgres_processes_on(data_dir: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(data_dir).encode() in arg for arg in argv):
            found.append(b" ".join(argv).decode(errors="replace"))
    return found


def test_importing_settings_without_database_url_starts_no_server(tmp_path):
    var_dir = tmp_path / "var"
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "EVALHUB_PGDATA", "EVALHUB_DATABASE_EMBEDDED"}}
    env["EVALHUB_VAR_DIR"] = str(var_dir)
    result = subprocess.run([sys.executable, "-c", "import evalhub.settings"], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is unset" in result.stderr
    assert "python -m evalhub.embedded exec" in result.stderr
    assert not (var_dir / "pgdata").exists()
    assert not var_dir.exists()
    assert _postgres_processes_on(var_dir) == []
