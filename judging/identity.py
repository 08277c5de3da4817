"""Does an answer reveal which model wrote it? (Chatbot Arena drops such votes from ratings.)

A vote is only blind if neither answer names its author. Arena filters battles whose answers
contain identity words ("I am ChatGPT, developed by OpenAI"); we do the same with a fixed list of
vendor/model words plus the campaign's own variant names, slugs and family, matched as whole words
case-insensitively. The vote is still stored (with ``identity_flag``) so the choice is auditable.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from evalhub.core.render import render_markdown

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


# Tags that start a new line or cell on screen become a space; inline ones (strong, em, code, a)
# vanish, so "Chat**GPT**" reads "ChatGPT" as the reviewer sees it.
_BLOCK_TAG = re.compile(r"</?(?:p|br|hr|h[1-6]|li|ul|ol|pre|blockquote|table|thead|tbody|tr|th|td)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def displayed_text(markdown: str) -> str:
    """The text a reviewer reads: the answer rendered exactly as the judging page renders it (markdown,
    then nh3), tags removed, entities decoded (``Open&#65;I`` → ``OpenAI``), invisible characters
    dropped and compatibility forms folded (full-width ``ＧＰＴ`` → ``GPT``)."""
    text = _ANY_TAG.sub("", _BLOCK_TAG.sub(" ", render_markdown(markdown or "")))
    return unicodedata.normalize("NFKC", html.unescape(text)).translate(_INVISIBLE)


def reveals_identity(*texts: str, extra_words: tuple[str, ...] = ()) -> bool:
    """Whether any answer, as DISPLAYED, names a model or vendor (markup cannot hide a name)."""
    pattern = _pattern(extra_words)
    return any(pattern.search(displayed_text(text)) for text in texts if text)
