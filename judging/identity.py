"""Does an answer reveal which model wrote it? (Chatbot Arena drops such votes from ratings.)

A vote is only blind if neither answer names its author. Arena filters battles whose answers
contain identity words ("I am ChatGPT, developed by OpenAI"); we do the same with a fixed list of
vendor/model words plus the campaign's own variant names, slugs and family, matched as whole words
case-insensitively. The vote is still stored (with ``identity_flag``) so the choice is auditable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

IDENTITY_WORDS: tuple[str, ...] = (
    "as an AI developed by", "as an AI language model", "developed by OpenAI", "trained by Google",
    "OpenAI", "ChatGPT", "GPT-4", "GPT-3.5", "Claude", "Anthropic", "Llama", "Meta AI", "Gemini",
    "Google", "Bard", "Mistral", "Mixtral", "Qwen", "DeepSeek",
)


@lru_cache(maxsize=256)
def _pattern(extra: tuple[str, ...]) -> re.Pattern[str]:
    words = sorted({w.strip() for w in (*IDENTITY_WORDS, *extra) if w and len(w.strip()) >= 3}, key=len, reverse=True)
    # Whole words only, so "Gemini" flags but "geminids" does not; escaped because slugs contain '.' and '-'.
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def identity_words_for(names: Iterable[str]) -> tuple[str, ...]:
    """Normalise variant names/slugs/families into a hashable, cacheable tuple."""
    return tuple(sorted({str(name) for name in names if name}))


def reveals_identity(*texts: str, extra_words: tuple[str, ...] = ()) -> bool:
    pattern = _pattern(extra_words)
    return any(pattern.search(text or "") for text in texts)
