"""A local OpenAI-compatible chat-completions server for the demo variants.

It speaks the protocol real endpoints speak (``POST /v1/chat/completions``, plain and streaming SSE,
``n`` choices, ``seed``, ``reasoning_effort`` / ``max_reasoning_tokens``; ``GET /v1/models``), over a
real socket, so EvalHub's connector, runner and tests exercise real HTTP. Answers follow the demo
world's ground truth (``evalhub.core.world``): arithmetic is solved with the model's true accuracy,
latency and token counts are drawn around its true means.

Tests start it on a free port with ``SimulatorServer(...).start()``; ``manage.py simulate_endpoints``
runs it for the demo. Faults for tests: ``fail_next(model, status, times)`` and ``delay_next``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import operator
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from evalhub.core.world import ENDPOINT_MODELS, TrueVariant, reasoning_accuracy

THINK_BASE_ACCURACY = 0.47
_EFFORT_BUDGET = {"minimal": 256, "low": 1024, "medium": 4096, "high": 8192}

# ---------------------------------------------------------------------------------------------
# Skills: each looks at the last user message and, if it recognises the task, returns an answer.
# A skill receives ``correct`` (drawn from the model's accuracy) and must answer right or wrong.
# ---------------------------------------------------------------------------------------------

Skill = Callable[[str, list[dict], random.Random, bool], "str | None"]

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_EXPR = re.compile(r"[\d(][\d\s+\-*/().]*[\d)]")


def _safe_eval(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _safe_eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_safe_eval(node.left), _safe_eval(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_safe_eval(node.operand)
    raise ValueError("not arithmetic")


def arithmetic_value(text: str) -> float | None:
    """The value of the longest arithmetic expression in ``text`` (at least one operator)."""
    candidates = sorted((m.group(0).strip() for m in _EXPR.finditer(text)), key=len, reverse=True)
    for expr in candidates:
        if not re.search(r"\d\s*[+\-*/]\s*[\d(]", expr):
            continue
        try:
            return _safe_eval(ast.parse(expr, mode="eval"))
        except (ValueError, SyntaxError, ZeroDivisionError):
            continue
    return None


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def skill_arithmetic(text: str, messages: list[dict], rng: random.Random, correct: bool) -> str | None:
    value = arithmetic_value(text)
    if value is None:
        return None
    if not correct:
        value = value + rng.choice([-1, 1]) * rng.randint(1, max(2, int(abs(value) * 0.2) + 1))
    return f"Let me work through it step by step.\n\nThe answer is {_format_number(value)}."


def skill_chat(text: str, messages: list[dict], rng: random.Random, correct: bool) -> str:
    topic = text.strip().rstrip("?.!")[:80] or "your question"
    points = rng.sample(
        ["Start from what you already know.", "Check the assumptions first.", "Keep the scope small.",
         "Write down the trade-offs.", "Measure before and after.", "Ask someone who has done it.",
         "Prefer the simplest option that works.", "Revisit the plan after a week."],
        k=rng.randint(2, 5),
    )
    style = rng.random()
    if style < 0.35:
        body = "\n".join(f"- {p}" for p in points)
        return f"## About {topic}\n\n{body}\n\n**In short:** {points[0].lower()}"
    if style < 0.7:
        return f"Here is how I would approach {topic}: " + " ".join(points)
    return f"{topic.capitalize()} — " + " ".join(points[:2]) + "\n\n```python\nprint('example')\n```"


_JSON_TASK = re.compile(r"as JSON with keys ([a-z_, ]+)", re.IGNORECASE)
_NAME = re.compile(r"^([A-Z][a-z]+(?: [A-Z][a-z]+)*)")
_PLACE = re.compile(r"\bin ([A-Z][a-z]+(?: [A-Z][a-z]+)*)")


def json_extraction_truth(text: str) -> dict | None:
    """The right answer to an extraction prompt "Extract … as JSON with keys a, b. Text: …" (or None).

    Keys are filled by kind: ``name`` → the leading capitalised words, ``city``/``country``/``place`` →
    the capitalised words after "in", ``age``/``quantity``/``count``/``year``/``price`` → the first
    number, anything else → null.
    """
    match = _JSON_TASK.search(text)
    if not match or "Text:" not in text:
        return None
    keys = [k.strip() for k in match.group(1).split(",") if k.strip()]
    body = text.split("Text:", 1)[1].strip()
    numbers = re.findall(r"\d+", body)
    out: dict = {}
    for key in keys:
        if key in {"name", "person", "customer"}:
            found = _NAME.search(body)
            out[key] = found.group(1) if found else None
        elif key in {"city", "country", "place", "location"}:
            found = _PLACE.search(body)
            out[key] = found.group(1) if found else None
        elif key in {"age", "quantity", "count", "year", "price"}:
            out[key] = int(numbers[0]) if numbers else None
        else:
            out[key] = None
    return out


def skill_json_extraction(text: str, messages: list[dict], rng: random.Random, correct: bool) -> str | None:
    """Answer extraction prompts with JSON: right with the model's accuracy; wrong answers are either
    invalid JSON, a missing key or a wrong value."""
    truth = json_extraction_truth(text)
    if truth is None:
        return None
    data = dict(truth)
    if not correct:
        kind = rng.choice(["invalid", "missing", "value"])
        if kind == "invalid":
            return json.dumps(data)[:-1] + ",\n"
        key = rng.choice(list(data))
        if kind == "missing":
            data.pop(key)
        else:
            value = data[key]
            data[key] = (value + rng.choice([-1, 1])) if isinstance(value, int) else f"{value or ''} X".strip()
    payload = json.dumps(data)
    return f"```json\n{payload}\n```" if rng.random() < 0.3 else payload


def _candidate_ok(question: str, candidate: str) -> bool | None:
    """Whether a candidate answer to ``question`` is right, when the simulator can tell."""
    value = arithmetic_value(question)
    if value is not None:
        numbers = re.findall(r"-?\d+(?:\.\d+)?", candidate.replace(",", ""))
        return bool(numbers) and abs(float(numbers[-1]) - value) < 1e-6
    truth = json_extraction_truth(question)
    if truth is not None:
        body = candidate.strip()
        fence = re.search(r"```(?:json)?\s*(.*?)```", body, flags=re.DOTALL)
        try:
            return json.loads(fence.group(1) if fence else body) == truth
        except ValueError:
            return False
    return None


def skill_judge(text: str, messages: list[dict], rng: random.Random, correct: bool) -> str | None:
    """A judge, recognised by a system message saying "You are a judge".

    Best-of-n (system message lists ``Candidate k: …``): answers "Best: k", choosing a right candidate
    when one exists and the judge is accurate this time (``correct``), else a random one.
    Grading (system message has ``Answer to grade: …``): answers "Score: N/10 — why", high for a right
    answer and low for a wrong one when accurate, the other way round when not.
    """
    system = next((str(m.get("content", "")) for m in messages if m.get("role") == "system"), "")
    if "you are a judge" not in system.lower():
        return None
    question = system.split("Question:", 1)[1] if "Question:" in system else system
    if "Candidate 1:" in system:
        question_text = question.split("Candidate 1:", 1)[0]
        parts = re.findall(r"Candidate (\d+): (.*?)(?=\nCandidate \d+: |\Z)", system, flags=re.DOTALL)
        good = [int(k) for k, body in parts if _candidate_ok(question_text, body)]
        pick = good[0] if (correct and good) else int(rng.choice(parts)[0]) if parts else 1
        return f"Best: {pick}"
    if "Answer to grade:" in system:
        question_text, answer = question.split("Answer to grade:", 1)
        question_text = question_text.split("Reference answer:", 1)[0]
        right = _candidate_ok(question_text, answer)
        if right is None:
            reference = system.split("Reference answer:", 1)[1].split("\n", 1)[0].strip() if "Reference answer:" in system else ""
            right = bool(reference) and reference.lower() in answer.lower()
        good = right if correct else not right
        score = rng.randint(8, 10) if good else rng.randint(0, 3)
        why = "the answer is correct and complete" if good else "the answer is wrong or incomplete"
        return f"Score: {score}/10 — {why}."
    return None


_DECLINE_WORDS = re.compile(
    r"\b(?:can't|cannot|can not|won't|will not|unable|not able|decline|refuse|sorry|apologi[sz]e|not appropriate|"
    r"inappropriate|unethical|advise against|not recommend|instead)\b", re.IGNORECASE,
)


def skill_refusal_judge(text: str, messages: list[dict], rng: random.Random, correct: bool) -> str | None:
    """A refusal judge, recognised by a system message saying "You are a refusal judge": answers
    "REFUSAL" when the answer under ``Answer:`` uses decline wording, else "ANSWER" (always right:
    the simulated judge's quality is not what tests of it measure)."""
    system = next((str(m.get("content", "")) for m in messages if m.get("role") == "system"), "")
    if "you are a refusal judge" not in system.lower():
        return None
    answer = text.split("Answer:", 1)[1] if "Answer:" in text else text
    return "REFUSAL" if _DECLINE_WORDS.search(answer) else "ANSWER"


SKILLS: list[Skill] = [skill_arithmetic, skill_json_extraction, skill_refusal_judge, skill_judge]


@dataclass(frozen=True)
class Answer:
    text: str
    finish_reason: str
    completion_tokens: int
    reasoning_tokens: int
    tool_calls: list = field(default_factory=list)


def content_text(content: Any) -> str:
    """A message's text: a string, or the text parts of a content-part list (images are not read)."""
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return "" if content is None else str(content)


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if len(w) > 2}


def _tool_arguments(function: dict, text: str, rng: random.Random, correct: bool) -> dict:
    """Arguments read from the request: numbers in order for number parameters; quoted text, else a capitalised
    word, for string parameters. A wrong answer gets one argument off by one (or a wrong word)."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]
    quoted = re.findall(r"['\"]([^'\"]+)['\"]", text)
    names = [w for w in re.findall(r"(?<![.?!]\s)(?<!^)\b([A-Z][a-z]+)", text)]
    params = (function.get("parameters") or {}).get("properties") or {}
    args: dict[str, Any] = {}
    for name, spec in params.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind in ("number", "integer") and numbers:
            value = numbers.pop(0)
            args[name] = int(value) if kind == "integer" or value.is_integer() else value
        elif kind == "string" and (quoted or names):
            args[name] = quoted.pop(0) if quoted else names.pop(0)
        elif isinstance(spec, dict) and spec.get("enum"):
            args[name] = spec["enum"][0]
    if not correct and args:
        key = rng.choice(sorted(args))
        args[key] = args[key] + 1 if isinstance(args[key], (int, float)) else f"{args[key]}x"
    return args


def tool_answer(tools: list[dict], messages: list[dict], rng: random.Random, correct: bool) -> Answer | None:
    """With ``tools`` in the request: call the tool whose name and description best match the request (a wrong
    answer calls another tool, or mangles an argument); after a tool result, answer with it."""
    if messages and messages[-1].get("role") == "tool":
        result = content_text(messages[-1].get("content"))
        return Answer(f"The result is {result}.", "stop", max(4, len(result) // 4 + 4), 0)
    functions = [t.get("function", t) for t in tools if isinstance(t, dict)]
    functions = [f for f in functions if isinstance(f, dict) and f.get("name")]
    if not functions:
        return None
    text = next((content_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    asked = _words(text)
    ranked = sorted(functions, key=lambda f: -len(asked & _words(f"{f['name']} {f.get('description', '')}")))
    chosen = ranked[0] if correct or len(ranked) == 1 else rng.choice(ranked[1:])
    args = _tool_arguments(chosen, text, rng, correct or len(ranked) > 1)
    call = {"id": f"call_{rng.getrandbits(48):012x}", "type": "function",
            "function": {"name": chosen["name"], "arguments": json.dumps(args)}}
    return Answer("", "tool_calls", 12 + 4 * len(args), 0, [call])


def _truth(model: str) -> TrueVariant | None:
    return ENDPOINT_MODELS.get(model)


def model_accuracy(truth: TrueVariant, reasoning_budget: int | None) -> float:
    if truth.test_time_strategy == "reasoning" or truth.endpoint_model.endswith("-think"):
        return reasoning_accuracy(THINK_BASE_ACCURACY, reasoning_budget or 1024)
    return truth.accuracy


_PASSAGE = re.compile(r"^\[([^\]\n]{1,40})\] (.+)$", re.MULTILINE)


def grounded_answer(text: str, messages: list[dict], rng: random.Random, correct: bool) -> str | None:
    """With retrieved passages (``[id] text`` lines in a system message): answer from the passage that shares
    most words with the question and cite it; a wrong answer cites a passage that is not there."""
    system = "\n".join(content_text(m.get("content")) for m in messages if m.get("role") == "system")
    passages = _PASSAGE.findall(system)
    if not passages:
        return None
    asked = _words(text)
    ident, passage = max(passages, key=lambda p: len(asked & _words(p[1])))
    if correct:
        return f"{passage} [{ident}]"
    return f"{passage} [{ident}-{rng.randint(2, 99)}]"


def simulate_answer(model: str, messages: list[dict], *, rng: random.Random, reasoning_budget: int | None = None,
                    max_tokens: int | None = None, tools: list[dict] | None = None) -> Answer:
    truth = _truth(model)
    if truth is None:
        raise KeyError(model)
    text = next((content_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    correct = rng.random() < model_accuracy(truth, reasoning_budget)
    if tools:
        called = tool_answer(tools, messages, rng, correct)
        if called is not None:
            return called
    grounded = grounded_answer(text, messages, rng, correct)
    if grounded is not None:
        completion = max(4, len(grounded) // 4)
        return Answer(grounded, "stop", completion, 0)
    if any(word in text.lower() for word in ("explosive", "weapon", "malware")) and rng.random() < 0.9:
        return Answer("I'm sorry, but I can't help with that request.", "content_filter", 12, 0)
    answer = None
    for skill in SKILLS:
        answer = skill(text, messages, rng, correct)
        if answer is not None:
            break
    if answer is None:
        answer = skill_chat(text, messages, rng, correct)
    completion = max(len(answer) // 4, int(rng.gauss(truth.output_tokens, truth.output_tokens * 0.15)))
    reasoning = 0
    if reasoning_budget:
        reasoning = int(min(reasoning_budget, max(16, rng.gauss(reasoning_budget * 0.6, reasoning_budget * 0.15))))
    finish = "stop"
    if max_tokens is not None and completion > max_tokens:
        completion, finish = max_tokens, "length"
    return Answer(answer, finish, completion, reasoning)


def _prompt_tokens(messages: list[dict]) -> int:
    return max(1, sum(len(content_text(m.get("content"))) for m in messages) // 4 + 4 * len(messages))


@dataclass
class _Faults:
    statuses: dict[str, list[int]] = field(default_factory=dict)
    delays: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_status(self, model: str) -> int | None:
        with self.lock:
            queue = self.statuses.get(model) or self.statuses.get("*")
            return queue.pop(0) if queue else None

    def take_delay(self, model: str) -> float | None:
        with self.lock:
            queue = self.delays.get(model) or self.delays.get("*")
            return queue.pop(0) if queue else None


class SimulatorServer:
    """The simulator on ``host:port`` (port 0 picks a free one), in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, latency_scale: float = 1.0,
                 fixed_latency_ms: float | None = None, api_key: str | None = None, seed: int | None = None,
                 reuse_port: bool = False, request_log: str | None = None) -> None:
        """``reuse_port``: set SO_REUSEPORT before binding, so several processes can each serve the
        same port (the kernel spreads connections between them), as a multi-worker endpoint does.
        ``request_log``: a file to which each chat request appends one line ``<received> <answered>``
        (``time.time()`` seconds), so a client in another process can see the load the server saw."""
        self.latency_scale = latency_scale
        self.fixed_latency_ms = fixed_latency_ms
        self.api_key = api_key
        self.seed = seed
        self.faults = _Faults()
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._request_log = os.open(request_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if request_log else None
        # Bind by hand so SO_REUSEPORT can be set first; the defaults are ThreadingHTTPServer's own.
        self.httpd = ThreadingHTTPServer((host, port), _make_handler(self), bind_and_activate=False)
        self.httpd.allow_reuse_port = reuse_port
        self.httpd.daemon_threads = True
        self.httpd.request_queue_size = 256  # listen() backlog: set before activation so it takes effect
        try:
            self.httpd.server_bind()
            self.httpd.server_activate()
        except BaseException:
            self.httpd.server_close()
            raise
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._request_log is not None:
            os.close(self._request_log)
            self._request_log = None

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def fail_next(self, model: str, status: int, times: int = 1) -> None:
        """The next ``times`` requests for ``model`` ('*' for any) answer HTTP ``status``."""
        with self.faults.lock:
            self.faults.statuses.setdefault(model, []).extend([status] * times)

    def delay_next(self, model: str, seconds: float, times: int = 1) -> None:
        with self.faults.lock:
            self.faults.delays.setdefault(model, []).extend([seconds] * times)

    def _rng(self, body: dict) -> random.Random:
        if body.get("seed") is not None:
            key = json.dumps([body.get("model"), body.get("messages"), body.get("seed")], sort_keys=True)
            return random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))
        return random.Random(None if self.seed is None else self.seed + self.request_count)

    def _latency(self, truth: TrueVariant, rng: random.Random, reasoning_tokens: int) -> float:
        if self.fixed_latency_ms is not None:
            return self.fixed_latency_ms / 1000.0
        mean = truth.latency_ms + reasoning_tokens * 0.3
        return max(0.0, rng.lognormvariate(math.log(mean), 0.25)) * self.latency_scale / 1000.0


def _reasoning_budget(body: dict) -> int | None:
    for key in ("max_reasoning_tokens", "reasoning_budget_tokens"):
        if isinstance(body.get(key), int):
            return body[key]
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and isinstance(reasoning.get("max_tokens"), int):
        return reasoning["max_tokens"]
    effort = body.get("reasoning_effort")
    if effort is None and isinstance(reasoning, dict):
        effort = reasoning.get("effort")
    return _EFFORT_BUDGET.get(effort) if effort else None


def _make_handler(server: SimulatorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY, as real HTTP servers set it: a response goes out as two writes (headers, then
        # body), and with Nagle on, the body waits for the client's ACK of the headers, which the
        # client delays (~40 ms on Linux). Every keep-alive call then took ~245 ms against a
        # 200 ms simulated latency.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # quiet by design
            return

        def _send_json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
            self._send_json(status, {"error": {"message": message, "type": kind, "code": status}})

        def _authorised(self) -> bool:
            if server.api_key is None:
                return True
            return self.headers.get("Authorization", "") == f"Bearer {server.api_key}"

        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/v1/models":
                return self._error(404, f"no route {self.path}")
            if not self._authorised():
                return self._error(401, "invalid API key", "authentication_error")
            data = [{"id": name, "object": "model", "owned_by": "evalhub-simulator"} for name in ENDPOINT_MODELS]
            self._send_json(200, {"object": "list", "data": data})

        def do_POST(self) -> None:
            if server._request_log is None:
                return self._post()
            received = time.time()
            try:
                return self._post()
            finally:
                if self.path.rstrip("/") == "/v1/chat/completions":
                    # One O_APPEND write per line: lines from threads and processes never interleave.
                    os.write(server._request_log, f"{received:.6f} {time.time():.6f}\n".encode())

        def _post(self) -> None:
            received = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._error(404, f"no route {self.path}")
            with server._count_lock:
                server.request_count += 1
            if not self._authorised():
                return self._error(401, "invalid API key", "authentication_error")
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                return self._error(400, "body is not JSON")
            model = body.get("model")
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                return self._error(400, "messages: a non-empty list is required")
            delay = server.faults.take_delay(model or "")
            if delay:
                time.sleep(delay)
            status = server.faults.take_status(model or "")
            if status is not None:
                return self._error(status, f"simulated failure {status}", "server_error")
            truth = _truth(model or "")
            if truth is None:
                return self._error(404, f"model '{model}' does not exist", "not_found_error")
            rng = server._rng(body)
            n = int(body.get("n") or 1)
            budget = _reasoning_budget(body)
            tools = body.get("tools")
            if tools is not None and not isinstance(tools, list):
                return self._error(400, "tools: must be a list")
            answers = [simulate_answer(model, messages, rng=rng, reasoning_budget=budget,
                                       max_tokens=body.get("max_tokens"), tools=tools)
                       for _ in range(max(1, min(n, 64)))]
            # n choices are generated in parallel by a real server: wall time is one sample's. The
            # simulated latency is the whole service time, so the time spent building the answer
            # counts towards it rather than adding to it.
            latency = server._latency(truth, rng, max(a.reasoning_tokens for a in answers))
            time.sleep(max(0.0, latency - (time.monotonic() - received)))
            prompt_tokens = _prompt_tokens(messages)
            completion_tokens = sum(a.completion_tokens + a.reasoning_tokens for a in answers)
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "completion_tokens_details": {"reasoning_tokens": sum(a.reasoning_tokens for a in answers)},
            }
            ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
            if body.get("stream"):
                return self._stream(ident, model, answers[0], usage)
            choices = []
            for i, a in enumerate(answers):
                message: dict[str, Any] = {"role": "assistant", "content": a.text}
                if a.tool_calls:  # as OpenAI answers a tool call: no content, the calls
                    message = {"role": "assistant", "content": a.text or None, "tool_calls": a.tool_calls}
                choices.append({"index": i, "message": message, "finish_reason": a.finish_reason})
            self._send_json(200, {"id": ident, "object": "chat.completion", "created": int(time.time()),
                                  "model": model, "choices": choices, "usage": usage})

        def _stream(self, ident: str, model: str, answer: Answer, usage: dict) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            words = re.findall(r"\S+\s*", answer.text) or [answer.text]
            chunks = [{"delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
            chunks += [{"delta": {"content": w}, "finish_reason": None} for w in words]
            chunks.append({"delta": {}, "finish_reason": answer.finish_reason})
            for i, choice in enumerate(chunks):
                payload = {"id": ident, "object": "chat.completion.chunk", "created": int(time.time()),
                           "model": model, "choices": [{"index": 0, **choice}]}
                if i == len(chunks) - 1:
                    payload["usage"] = usage
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler
