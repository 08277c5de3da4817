"""Refusal detection: client flag, then finish reason, then a phrase classifier over the answer.

Order (first that applies wins):

1. ``refused`` sent by the client (``true`` or ``false``) — the client knows best;
2. finish reason ``content_filter`` or ``refusal`` (OpenAI / OpenTelemetry GenAI values) → refused;
3. the response text, when sent, matched against ``REFUSAL_PATTERNS`` — apologetic or flat
   declines in the OPENING of the answer (first ``OPENING_CHARS`` characters), because answers that
   help often say "I can't" later ("I can't be sure, but…"), while refusals lead with it.

Measured on the labelled set in ``tests/telemetry/test_refusal.py`` (60 answers, 24 of them
refusals, including helpful answers that say "I can't" or "sorry"): precision 1.00, recall 0.92;
the test fails below 0.9 on either.
"""

from __future__ import annotations

import re

OPENING_CHARS = 240
REFUSAL_FINISH_REASONS = frozenset({"content_filter", "refusal", "safety"})

_CANT = r"(?:can(?:no|')t|can not|cannot|won't|will not|am not able to|'m not able to|am unable to|'m unable to|must decline to|have to decline to)"
_HELP = r"(?:help|assist|provide|comply|fulfil+|do that|answer|support|share|create|generate|write|engage|continue|complete|give)"

REFUSAL_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"\b(?:sorry|apologi[sz]e)\b[^.!?]{{0,60}}\bI\s*{_CANT}\s+(?:\w+\s+){{0,2}}{_HELP}",
    rf"^\W*(?:unfortunately,?\s+)?I\s*{_CANT}\s+(?:\w+\s+){{0,2}}{_HELP}\b(?:(?!\bbut\b).)*?(?:with|this|that|request|it|you)\b",
    r"\bI\s*(?:must|have to|need to)\s+(?:respectfully\s+)?decline\b",
    r"\bI(?:'m| am) not (?:comfortable|permitted|allowed)\b",
    r"\bas an AI(?: language model)?,? I (?:can(?:no|')t|cannot|am not able|don't)\b",
    r"\b(?:against|violates?) (?:my|our|the) (?:guidelines|policies|policy|usage polic(?:y|ies)|content policy)\b",
    r"\bI(?:'m| am) (?:unable|not able) to (?:help|assist|provide|comply)\b",
    r"\bthat(?:'s| is) not something I can (?:help|assist|do)\b",
))


# Every pattern contains one of these words: a cheap substring test skips the regexes for the
# vast majority of answers (ingestion hot path).
_TRIGGERS = ("sorry", "apolog", "can't", "cannot", "can not", "won't", "will not", "unable", "not able",
             "decline", "as an ai", "guideline", "polic", "not comfortable", "not permitted", "not allowed",
             "not something i can")
_TRIGGER_RE = re.compile("|".join(re.escape(t) for t in _TRIGGERS))


def text_is_refusal(text: str | None) -> bool:
    """Does the opening of an answer read as a refusal? (phrase classifier, see module docstring)."""
    if not text:
        return False
    opening = text[:OPENING_CHARS].replace("\u2019", "'")
    lowered = opening.lower()
    if _TRIGGER_RE.search(lowered) is None:
        return False
    return any(pattern.search(opening) for pattern in REFUSAL_PATTERNS)


def classify_refusal(*, client_flag: bool | None, finish_reason: str | None, response_text: str | None) -> tuple[bool, str]:
    """(refused, source) where source is client | finish_reason | text | none."""
    if client_flag is not None:
        return bool(client_flag), "client"
    if finish_reason and finish_reason.lower() in REFUSAL_FINISH_REASONS:
        return True, "finish_reason"
    if text_is_refusal(response_text):
        return True, "text"
    return False, "none"
