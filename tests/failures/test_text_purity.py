"""evalhub.text must import and run with Django and Celery absent: apps call it at write time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CODE = """
import importlib.abc, json, sys

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("django", "celery"):
            raise ModuleNotFoundError(f"{name} is blocked", name=name)
        return None

sys.meta_path.insert(0, Blocker())
from evalhub.text.features import derive_features
from evalhub.text.hedging import expresses_uncertainty, stated_confidence
print(json.dumps({
    "features": derive_features("How do I kill a process on Linux today?", turns=2),
    "hedged": expresses_uncertainty("I think so"),
    "confidence": stated_confidence("Confidence: 80%"),
    "leaked": sorted(m for m in sys.modules if m.split(".")[0] in ("django", "celery")),
}))
"""


def test_text_package_runs_without_django_or_celery():
    proc = subprocess.run([sys.executable, "-c", CODE], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["leaked"] == []
    assert result["features"] == {"language": "en", "turns": "2-3", "prompt_length": "short", "contains_code": "no",
                                  "recent_events": "yes", "safety_sensitive": "yes"}
    assert result["hedged"] is True
    assert result["confidence"] == 0.8
