"""What an item sends to a variant: its messages with the few-shot convention of OpenAI Evals resolved,
multiple-choice options rendered (inspect_ai's way), retrieved passages when the variant uses retrieval,
and its tools; and the facts graders read besides the output text."""

from __future__ import annotations

from experiments.suites import graders
from experiments.suites.models import SuiteItem

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MCQ_TEMPLATE = ("Answer the following multiple choice question. The last line of your response must be of the form "
                "'ANSWER: $LETTER' (without quotes) where LETTER is one of {letters}.\n\n{question}\n\n{choices}")
CONTEXT_TEMPLATE = ("Answer from the passages below and cite the passages you use as [id].\n\n{passages}")


def _few_shot(message: dict) -> dict:
    """OpenAI Evals writes few-shot turns as system messages named ``example_user`` / ``example_assistant``."""
    name = str(message.get("name", ""))
    if message.get("role") == "system" and name in ("example_user", "example_assistant"):
        return {"role": name.removeprefix("example_"), "content": message.get("content")}
    return dict(message)


def render_choices(question: str, choices: list[str]) -> str:
    letters = LETTERS[:len(choices)]
    lines = "\n".join(f"{letter}) {choice}" for letter, choice in zip(letters, choices, strict=True))
    return MCQ_TEMPLATE.format(letters=",".join(letters), question=question, choices=lines)


def _with_choices(message: dict, choices: list[str]) -> dict:
    content = message.get("content")
    if isinstance(content, list):
        texts = [p for p in content if p.get("type") == "text"]
        question = "\n".join(p["text"] for p in texts)
        others = [p for p in content if p.get("type") != "text"]
        return {**message, "content": [{"type": "text", "text": render_choices(question, choices)}, *others]}
    return {**message, "content": render_choices(str(content or ""), choices)}


def item_messages(item: SuiteItem, *, retrieval: bool = False) -> list[dict]:
    messages = [_few_shot(m) for m in item.input]
    if item.choices:
        last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=len(messages) - 1)
        messages[last_user] = _with_choices(messages[last_user], item.choices)
    if retrieval and item.context:
        passages = "\n".join(f"[{p['id']}] {p['text']}" for p in item.context)
        messages.insert(0, {"role": "system", "content": CONTEXT_TEMPLATE.format(passages=passages)})
    return messages


def facts_for(item: SuiteItem, *, latency_ms: float | None = None, cost_usd: float | None = None,
              finish_reason: str = "", tool_calls: list | tuple = (), output_tokens: int | None = None
              ) -> graders.Facts:
    return graders.Facts(choices=tuple(item.choices), context=tuple(item.context), tools=tuple(item.tools),
                         latency_ms=latency_ms, cost_usd=cost_usd, finish_reason=finish_reason,
                         tool_calls=tuple(tool_calls), output_tokens=output_tokens)
