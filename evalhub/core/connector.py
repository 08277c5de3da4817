"""The model connector: OpenAI-compatible chat completions over HTTP (httpx).

Works with vLLM, Ollama, OpenAI and the bundled simulator. Retries with exponential backoff and
jitter on 429, 5xx, timeouts and connection errors (honouring ``Retry-After``); other 4xx are
permanent. The variant names the *environment variable* that holds its key; the key is read at
call time and never stored.
"""

from __future__ import annotations

import functools
import json
import os
import random
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from evalhub.core.models import ModelVariant, endpoint_key_env_allowed, endpoint_key_env_refusal

RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}


class EndpointError(Exception):
    """A call to a model endpoint failed. ``transient`` says whether retrying may help."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient


@dataclass(frozen=True)
class ChatResult:
    texts: list[str]
    finish_reasons: list[str]
    input_tokens: int
    output_tokens: int  # includes reasoning tokens, as OpenAI bills them
    reasoning_tokens: int
    latency_ms: float
    attempts: int
    tool_calls: list[list[dict]] = field(default_factory=list)  # per choice: [{"id", "name", "arguments"}]

    @property
    def text(self) -> str:
        return self.texts[0]

    @property
    def finish_reason(self) -> str:
        return self.finish_reasons[0] if self.finish_reasons else ""

    @property
    def calls(self) -> list[dict]:
        return self.tool_calls[0] if self.tool_calls else []


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process. httpx builds a new one (loading the whole CA bundle,
    ~20 ms of CPU) for every client it is not handed one; clients here are made per call or per chunk."""
    return httpx.create_ssl_context()


def http_client(**kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` for model endpoints, sharing the process's TLS context."""
    return httpx.Client(verify=tls_context(), **kwargs)


def endpoint_for(variant: ModelVariant) -> tuple[str, str]:
    base = variant.endpoint_base_url or settings.SIMULATOR_URL
    return base.rstrip("/"), variant.endpoint_model or variant.slug


def endpoint_kind(variant: ModelVariant) -> str:
    """``simulator`` (the bundled one), ``openai`` (api.openai.com) or ``compatible`` (vLLM, Ollama, gateways)."""
    base = endpoint_for(variant)[0]
    if not variant.endpoint_base_url or base == settings.SIMULATOR_URL.rstrip("/"):
        return "simulator"
    return "openai" if "api.openai.com" in base else "compatible"


# Safe defaults per endpoint kind. OpenAI's reasoning models reject ``temperature``; strict servers reject
# unknown fields such as ``max_reasoning_tokens``, so only the bundled simulator gets both reasoning fields.
DEFAULT_OPTIONS = {
    "simulator": {"send": ["temperature", "seed", "max_tokens", "n"], "reasoning": "both", "images": True},
    "openai": {"send": ["temperature", "seed", "max_tokens", "n"], "reasoning": "effort", "images": True},
    "compatible": {"send": ["temperature", "seed", "max_tokens", "n"], "reasoning": "effort", "images": False},
}


def request_options(variant: ModelVariant) -> dict[str, Any]:
    """The variant's own ``request_options`` over the defaults of its endpoint kind."""
    options = {**DEFAULT_OPTIONS[endpoint_kind(variant)], **(variant.request_options or {})}
    if variant.reasoning_budget_tokens and "send" not in (variant.request_options or {}):
        options["send"] = [p for p in options["send"] if p != "temperature"]  # reasoning models reject it
    return options


def effort_for(budget: int) -> str:
    return "low" if budget <= 1024 else "medium" if budget <= 4096 else "high"


def _text_only(messages: list[dict]) -> list[dict]:
    """Content parts flattened to text for endpoints that take no images (the image becomes a note)."""
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            texts = [p.get("text", "") if p.get("type") == "text" else "[image not sent: endpoint takes text only]"
                     for p in content]
            message = {**message, "content": "\n".join(texts)}
        out.append(message)
    return out


def request_body(variant: ModelVariant, messages: list[dict], *, n: int = 1, seed: int | None = None,
                 temperature: float | None = None, max_tokens: int | None = None,
                 tools: list[dict] | None = None) -> dict[str, Any]:
    """The chat-completions body a variant's settings and request options call for.

    ``send`` names the optional parameters to send; ``reasoning``: ``effort`` sends OpenAI's
    ``reasoning_effort``, ``budget`` the ``max_reasoning_tokens`` of vLLM/OpenRouter-style servers, ``both`` or
    ``none``; ``reasoning_effort`` overrides the level derived from the budget; ``extra_body`` is merged in.
    """
    options = request_options(variant)
    send = set(options.get("send") or [])
    body: dict[str, Any] = {"model": endpoint_for(variant)[1],
                            "messages": messages if options.get("images", True) else _text_only(messages)}
    if "temperature" in send:
        body["temperature"] = variant.temperature if temperature is None else temperature
    if n > 1:
        body["n"] = n  # sent whatever the options: several samples in one call need it
    if seed is not None and "seed" in send:
        body["seed"] = seed
    if max_tokens is not None and "max_tokens" in send:
        body["max_tokens"] = max_tokens
    if tools:
        body["tools"] = tools
    budget = variant.reasoning_budget_tokens
    reasoning = options.get("reasoning", "effort")
    if budget or options.get("reasoning_effort"):
        if reasoning in ("effort", "both"):
            body["reasoning_effort"] = options.get("reasoning_effort") or effort_for(budget or 0)
        if reasoning in ("budget", "both") and budget:
            body["max_reasoning_tokens"] = budget
    body.update(options.get("extra_body") or {})
    return body


def _headers(variant: ModelVariant) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if variant.endpoint_api_key_env:
        # Checked again at call time: a row saved before the allow-list (or edited in SQL) must not
        # turn a worker into a courier for DATABASE_URL. The value is never logged or put in errors.
        if not endpoint_key_env_allowed(variant.endpoint_api_key_env):
            raise EndpointError(f"{variant.slug}: endpoint_api_key_env {endpoint_key_env_refusal()}")
        key = os.environ.get(variant.endpoint_api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
    return headers


def chat(variant: ModelVariant, messages: list[dict], *, n: int = 1, seed: int | None = None,
         temperature: float | None = None, max_tokens: int | None = None, retries: int = 4,
         timeout: float | None = None, backoff: float = 0.5, client: httpx.Client | None = None,
         tools: list[dict] | None = None) -> ChatResult:
    """Call the variant's endpoint once (with retries) and return its answer(s), tool calls and usage."""
    base, _ = endpoint_for(variant)
    body = request_body(variant, messages, n=n, seed=seed, temperature=temperature, max_tokens=max_tokens,
                        tools=tools)
    own_client = client is None
    http = client or http_client(timeout=timeout or settings.MODEL_HTTP_TIMEOUT)
    try:
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                response = http.post(f"{base}/chat/completions", json=body, headers=_headers(variant),
                                     timeout=timeout or settings.MODEL_HTTP_TIMEOUT)
                error = None
                if response.status_code >= 400:
                    transient = response.status_code in RETRY_STATUSES
                    error = EndpointError(f"{variant.slug}: HTTP {response.status_code}{_described(response)}",
                                          status=response.status_code, transient=transient)
            except httpx.TimeoutException:
                error = EndpointError(f"{variant.slug}: timed out", transient=True)
                response = None
            except httpx.TransportError as exc:
                error = EndpointError(f"{variant.slug}: connection failed: {exc}", transient=True)
                response = None
            if error is None:
                return _parse(response, time.perf_counter() - started, attempt, variant.slug)
            if not error.transient or attempt > retries:
                raise error
            delay = backoff * (2 ** (attempt - 1)) * (0.5 + random.random())
            if response is not None and response.headers.get("Retry-After", "").isdigit():
                delay = max(delay, float(response.headers["Retry-After"]))
            time.sleep(min(delay, 30.0))
    finally:
        if own_client:
            http.close()


def _described(response: httpx.Response) -> str:
    """Content type and a body snippet, so an HTML error page or a half-written JSON body can be told apart."""
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    snippet = " ".join(response.text[:200].split())
    return f" ({kind}): {snippet!r}" if snippet else f" ({kind}, empty body)"


def _tool_calls(message: dict) -> list[dict]:
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        raw = function.get("arguments")
        try:
            arguments = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
        except ValueError:
            arguments = raw  # kept as sent: a grader reports arguments that are not JSON
        calls.append({"id": call.get("id", ""), "name": function.get("name", ""), "arguments": arguments})
    return calls


def _parse(response: httpx.Response, seconds: float, attempts: int, slug: str = "") -> ChatResult:
    where = f"{slug}: " if slug else ""
    try:
        payload = response.json()
    except ValueError:
        raise EndpointError(f"{where}HTTP {response.status_code} body is not JSON{_described(response)}") from None
    choices = payload.get("choices") if isinstance(payload, dict) else None
    if not isinstance(choices, list) or not choices:
        problem = "no choices" if choices == [] else "no 'choices' list"
        raise EndpointError(f"{where}HTTP {response.status_code} chat-completions response has {problem}"
                            f"{_described(response)}")
    try:
        messages = [choice.get("message") or {} for choice in choices]
        texts = [message.get("content") or "" for message in messages]
        finish = [choice.get("finish_reason") or "stop" for choice in choices]
        calls = [_tool_calls(message) for message in messages]
    except (AttributeError, TypeError) as exc:
        raise EndpointError(f"{where}malformed chat-completions response: {exc}{_described(response)}") from exc
    usage = payload.get("usage") or {}
    details = usage.get("completion_tokens_details") or {}
    return ChatResult(
        texts=texts, finish_reasons=finish, input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        reasoning_tokens=int(details.get("reasoning_tokens") or 0), latency_ms=seconds * 1000.0, attempts=attempts,
        tool_calls=calls,
    )
