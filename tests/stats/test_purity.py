"""evalhub.stats must import with Django and Celery absent (STYLE.md: the package is pure).

Runs in a fresh interpreter: the test process itself may already have Django loaded (pytest-django),
which would hide an accidental import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

BLOCKER = """
import importlib, importlib.abc, json, pkgutil, sys

BLOCKED = ("django", "celery")

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            # What Python raises when the package is not installed at all.
            raise ModuleNotFoundError(f"{name} is blocked: evalhub.stats must not import it", name=name)
        return None

sys.meta_path.insert(0, Blocker())
"""

IMPORT_ALL = BLOCKER + """
import evalhub.stats as package

# Discover modules rather than list them, so modules other people add later are checked too.
names = sorted(m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + "."))
failures = {}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:  # report every broken module, not just the first
        failures[name] = f"{type(exc).__name__}: {exc}"
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps({"modules": names, "failures": failures, "leaked": leaked}))
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_stats_module_imports_without_django_or_celery() -> None:
    proc = _run(IMPORT_ALL)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["failures"] == {}
    assert report["leaked"] == []
    mine = {"evalhub.stats.agreement", "evalhub.stats.evalscores", "evalhub.stats.scaling",
            "evalhub.stats.ab.fixed", "evalhub.stats.ab._core", "evalhub.stats.ratings.style"}
    assert mine <= set(report["modules"])


def test_the_blocker_really_blocks() -> None:
    # Guards the test above against passing vacuously (e.g. a finder that never fires).
    for module in ("django", "celery", "django.db"):
        proc = _run(BLOCKER + f"\nimport {module}\n")
        assert proc.returncode != 0
        assert "is blocked" in proc.stderr
