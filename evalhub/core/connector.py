"""The model connector: OpenAI-compatible chat completions over HTTP (httpx).

Works with vLLM, Ollama, OpenAI and the bundled simulator. Retries with exponential backoff and
jitter on 429, 5xx, timeouts and connection errors (honouring ``Retry-After``); other 4xx are
permanent. The variant names the *environment variable* that holds its key; the key is read at
call time and never stored.
"""

from __future__ import annotations

import functools
import os
import random
import ssl
import time
from dataclasses import dataclass
from decimal import Decimal
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

    @property
    def text(self) -> str:
        return self.texts[0]


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


def request_body(variant: ModelVariant, messages: list[dict], *, n: int = 1, seed: int | None = None,
                 temperature: float | None = None, max_tokens: int | None = None) -> dict[str, Any]:
    """The chat-completions body a variant's settings call for (reasoning budget included)."""
    body: dict[str, Any] = {"model": endpoint_for(variant)[1], "messages": messages}
    temp = variant.temperature if temperature is None else temperature
    body["temperature"] = temp
    if n > 1:
        body["n"] = n
    if seed is not None:
        body["seed"] = seed
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if variant.reasoning_budget_tokens:
        # vLLM/OpenRouter-style budget plus OpenAI's effort level, so either kind of server obeys.
        body["max_reasoning_tokens"] = variant.reasoning_budget_tokens
        budget = variant.reasoning_budget_tokens
        body["reasoning_effort"] = "low" if budget <= 1024 else "medium" if budget <= 4096 else "high"
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
         timeout: float | None = None, backoff: float = 0.5, client: httpx.Client | None = None) -> ChatResult:
    """Call the variant's endpoint once (with retries) and return its answer(s) and usage."""
    base, _ = endpoint_for(variant)
    body = request_body(variant, messages, n=n, seed=seed, temperature=temperature, max_tokens=max_tokens)
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
                    error = EndpointError(f"{variant.slug}: HTTP {response.status_code}: {response.text[:200]}",
                                          status=response.status_code, transient=transient)
            except httpx.TimeoutException:
                error = EndpointError(f"{variant.slug}: timed out", transient=True)
                response = None
            except httpx.TransportError as exc:
                error = EndpointError(f"{variant.slug}: connection failed: {exc}", transient=True)
                response = None
            if error is None:
                return _parse(response, time.perf_counter() - started, attempt)
            if not error.transient or attempt > retries:
                raise error
            delay = backoff * (2 ** (attempt - 1)) * (0.5 + random.random())
            if response is not None and response.headers.get("Retry-After", "").isdigit():
                delay = max(delay, float(response.headers["Retry-After"]))
            time.sleep(min(delay, 30.0))
    finally:
        if own_client:
            http.close()


def _parse(response: httpx.Response, seconds: float, attempts: int) -> ChatResult:
    try:
        payload = response.json()
        choices = payload["choices"]
        texts = [choice["message"].get("content") or "" for choice in choices]
        finish = [choice.get("finish_reason") or "stop" for choice in choices]
    except (ValueError, KeyError, TypeError) as exc:
        raise EndpointError(f"malformed chat-completions response: {exc}") from exc
    usage = payload.get("usage") or {}
    details = usage.get("completion_tokens_details") or {}
    return ChatResult(
        texts=texts, finish_reasons=finish, input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        reasoning_tokens=int(details.get("reasoning_tokens") or 0), latency_ms=seconds * 1000.0, attempts=attempts,
    )


def cost_of(variant: ModelVariant, input_tokens: int, output_tokens: int) -> Decimal:
    return variant.price_for(input_tokens, output_tokens)
