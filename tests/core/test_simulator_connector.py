"""The simulator over a real socket, and the connector's retries against it."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from evalhub.core import connector
from evalhub.core.simulator import SimulatorServer, arithmetic_value
from tests.factories import VariantFactory


def test_arithmetic_extraction():
    assert arithmetic_value("What is 17 * 23 + 5?") == 396
    assert arithmetic_value("Compute (144 / 12) * 7 - 9.") == 75
    assert arithmetic_value("no maths here") is None


def test_plain_completion_over_http(simulator: SimulatorServer):
    body = {"model": "acme-7b", "messages": [{"role": "user", "content": "What is 2 + 2?"}], "n": 3, "seed": 5}
    response = httpx.post(f"{simulator.base_url}/chat/completions", json=body)
    assert response.status_code == 200
    payload = response.json()
    assert len(payload["choices"]) == 3
    assert payload["usage"]["total_tokens"] == payload["usage"]["prompt_tokens"] + payload["usage"]["completion_tokens"]
    again = httpx.post(f"{simulator.base_url}/chat/completions", json=body).json()
    assert [c["message"]["content"] for c in again["choices"]] == [c["message"]["content"] for c in payload["choices"]]


def test_streaming_completion(simulator: SimulatorServer):
    body = {"model": "acme-7b-dpo", "messages": [{"role": "user", "content": "Hello there"}], "stream": True, "seed": 1}
    pieces, usage = [], None
    with httpx.stream("POST", f"{simulator.base_url}/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            pieces.append(chunk["choices"][0]["delta"].get("content", ""))
            usage = chunk.get("usage") or usage
    plain = httpx.post(f"{simulator.base_url}/chat/completions", json={**body, "stream": False}).json()
    assert "".join(pieces) == plain["choices"][0]["message"]["content"]
    assert usage["completion_tokens"] > 0


def test_unknown_model_and_bad_body(simulator: SimulatorServer):
    r = httpx.post(f"{simulator.base_url}/chat/completions", json={"model": "nope", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 404
    assert "nope" in r.json()["error"]["message"]
    r = httpx.post(f"{simulator.base_url}/chat/completions", json={"model": "acme-7b", "messages": []})
    assert r.status_code == 400


def test_accuracy_follows_ground_truth(simulator: SimulatorServer):
    """One greedy sample of acme-7b is right about 52% of the time (ground truth), checked on 400 draws."""
    right = 0
    for seed in range(400):
        body = {"model": "acme-7b", "messages": [{"role": "user", "content": "What is 37 * 3 + 11?"}], "seed": seed}
        text = httpx.post(f"{simulator.base_url}/chat/completions", json=body).json()["choices"][0]["message"]["content"]
        right += "The answer is 122." in text
    assert 0.52 - 0.08 < right / 400 < 0.52 + 0.08


def test_reasoning_budget_reports_reasoning_tokens(simulator: SimulatorServer, db):
    variant = VariantFactory(endpoint_model="acme-7b-think", test_time_strategy="reasoning", reasoning_budget_tokens=4096)
    result = connector.chat(variant, [{"role": "user", "content": "What is 5 * 5?"}], seed=3)
    assert result.reasoning_tokens > 0
    assert result.output_tokens >= result.reasoning_tokens


def test_connector_retries_transient_errors(simulator: SimulatorServer, db):
    variant = VariantFactory(endpoint_model="acme-7b")
    simulator.fail_next("acme-7b", 503, times=2)
    result = connector.chat(variant, [{"role": "user", "content": "hi"}], backoff=0.01)
    assert result.attempts == 3
    assert result.text


def test_connector_gives_up_and_does_not_retry_client_errors(simulator: SimulatorServer, db):
    variant = VariantFactory(endpoint_model="acme-7b")
    simulator.fail_next("acme-7b", 429, times=10)
    with pytest.raises(connector.EndpointError) as excinfo:
        connector.chat(variant, [{"role": "user", "content": "hi"}], retries=2, backoff=0.01)
    assert excinfo.value.status == 429
    assert excinfo.value.transient
    simulator.faults.statuses.clear()
    simulator.fail_next("acme-7b", 400, times=1)
    with pytest.raises(connector.EndpointError) as excinfo:
        connector.chat(variant, [{"role": "user", "content": "hi"}], backoff=0.01)
    assert excinfo.value.status == 400
    assert not excinfo.value.transient


def test_connector_timeout_is_transient(simulator: SimulatorServer, db):
    variant = VariantFactory(endpoint_model="acme-7b")
    simulator.delay_next("acme-7b", 1.0, times=1)
    result = connector.chat(variant, [{"role": "user", "content": "hi"}], timeout=0.3, backoff=0.01)
    assert result.attempts == 2


def test_endpoint_key_is_read_from_named_env_var(db, monkeypatch):
    server = SimulatorServer(latency_scale=0.0, api_key="sk-test-123").start()
    try:
        variant = VariantFactory(endpoint_model="acme-7b", endpoint_base_url=server.base_url,
                                 endpoint_api_key_env="EVALHUB_KEY_ACME")
        with pytest.raises(connector.EndpointError) as excinfo:
            connector.chat(variant, [{"role": "user", "content": "hi"}], retries=0)
        assert excinfo.value.status == 401
        monkeypatch.setenv("EVALHUB_KEY_ACME", "sk-test-123")
        assert connector.chat(variant, [{"role": "user", "content": "hi"}]).text
    finally:
        server.stop()


def test_reuse_port_lets_two_servers_share_a_port(tmp_path):
    """Two simulators with reuse_port=True bind the same port (as forked worker processes do) and both answer."""
    log = tmp_path / "requests.log"
    first = SimulatorServer(latency_scale=0.0, reuse_port=True, request_log=str(log)).start()
    second = SimulatorServer(port=first.port, latency_scale=0.0, reuse_port=True, request_log=str(log)).start()
    try:
        assert second.port == first.port
        body = {"model": "acme-7b", "messages": [{"role": "user", "content": "What is 2 + 2?"}], "seed": 1}
        for _ in range(40):  # a new connection each time: the kernel hashes each one to a listener
            assert httpx.post(f"{first.base_url}/chat/completions", json=body).status_code == 200
        assert first.request_count > 0
        assert second.request_count > 0  # all on one: p = 2^-39
        assert first.request_count + second.request_count == 40
        assert len(log.read_text().splitlines()) == 40
    finally:
        first.stop()
        second.stop()


def test_connections_are_served_with_tcp_nodelay(simulator: SimulatorServer, monkeypatch):
    """A response is written as headers then body; without TCP_NODELAY the body waits for the client's
    delayed ACK (~40 ms per keep-alive call, which capped every run's throughput). Checked on the
    accepted connection itself, not by timing."""
    handler = simulator.httpd.RequestHandlerClass
    seen: list[int] = []
    original = handler.setup

    def setup(self) -> None:
        original(self)
        seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(handler, "setup", setup)
    body = {"model": "acme-7b", "messages": [{"role": "user", "content": "What is 2 + 2?"}], "seed": 1}
    with httpx.Client() as client:
        assert client.post(f"{simulator.base_url}/chat/completions", json=body).status_code == 200
    assert seen, seen
    assert all(seen), seen


# ------------------------------------------------------------------ endpoints as they are in the wild


class _Canned:
    """A real HTTP server answering every POST with one canned (status, content type, body)."""

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        canned = self
        self.bodies: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                canned.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("status", "content_type", "body", "expected"), [
    (200, "application/json", b'{"choices": [], "usage": {}}', "HTTP 200 chat-completions response has no choices"),
    (200, "text/html", b"<html><body>Gateway login</body></html>", "HTTP 200 body is not JSON (text/html): '<html>"),
    (200, "application/json", b'{"choices": [{"message": {"content": "hi"', "body is not JSON (application/json)"),
    (502, "text/html", b"<h1>502 Bad Gateway</h1>", "HTTP 502 (text/html): '<h1>502 Bad Gateway</h1>'"),
    (400, "application/json", b"", "HTTP 400 (application/json, empty body)"),
])
def test_wild_endpoint_bodies_are_named_with_status_type_and_snippet(db, status, content_type, body, expected):
    server = _Canned(status, content_type, body)
    try:
        variant = VariantFactory(slug="wild", endpoint_base_url=server.url)
        with pytest.raises(connector.EndpointError) as info:
            connector.chat(variant, [{"role": "user", "content": "hi"}], retries=0)
        assert expected in str(info.value)
        assert str(info.value).startswith("wild: ")
    finally:
        server.close()


def test_request_options_defaults_per_endpoint_kind_and_overrides(db, settings):
    settings.SIMULATOR_URL = "http://127.0.0.1:9/v1"
    messages = [{"role": "user", "content": [{"type": "text", "text": "Describe"},
                                             {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]}]
    sim = VariantFactory(slug="sim", reasoning_budget_tokens=2000, temperature=0.3)
    body = connector.request_body(sim, messages, seed=1)
    assert body["max_reasoning_tokens"] == 2000
    assert body["reasoning_effort"] == "medium"
    assert "temperature" not in body
    assert body["messages"] == messages  # a reasoning model: no temperature
    vllm = VariantFactory(slug="vllm", endpoint_base_url="http://gpu-box:8000/v1", temperature=0.3)
    body = connector.request_body(vllm, messages, seed=1, max_tokens=50)
    assert body["temperature"] == 0.3
    assert body["seed"] == 1
    assert body["max_tokens"] == 50
    assert "max_reasoning_tokens" not in body
    assert "reasoning_effort" not in body
    assert body["messages"][0]["content"] == "Describe\n[image not sent: endpoint takes text only]"
    openai = VariantFactory(slug="o", endpoint_base_url="https://api.openai.com/v1", reasoning_budget_tokens=9000)
    body = connector.request_body(openai, messages)
    assert body["reasoning_effort"] == "high"
    assert "max_reasoning_tokens" not in body
    assert "temperature" not in body
    strict = VariantFactory(slug="strict", endpoint_base_url="http://gw/v1", temperature=0.7, request_options={
        "send": ["max_tokens"], "reasoning_effort": "low", "extra_body": {"top_k": 20}, "images": True})
    body = connector.request_body(strict, messages, seed=4, max_tokens=8)
    assert body == {"model": strict.endpoint_model, "messages": messages, "max_tokens": 8, "reasoning_effort": "low", "top_k": 20}


@pytest.mark.parametrize(("options", "message"), [
    ({"sendd": []}, "request_options.sendd"),
    ({"send": ["top_p"]}, "request_options.send"),
    ({"reasoning": "lots"}, "request_options.reasoning"),
    ({"extra_body": {"messages": []}}, "request_options.extra_body"),
])
def test_bad_request_options_are_refused_by_key(db, options, message):
    from django.core.exceptions import ValidationError

    variant = VariantFactory.build(slug="bad-options", request_options=options)
    with pytest.raises(ValidationError, match=message):
        variant.full_clean()


def test_tools_are_sent_and_tool_calls_read_back(simulator, db):
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city",
                                               "parameters": {"type": "object",
                                                              "properties": {"city": {"type": "string"}}}}},
             {"type": "function", "function": {"name": "add_numbers", "description": "Add two numbers",
                                               "parameters": {"type": "object", "properties": {
                                                   "a": {"type": "number"}, "b": {"type": "number"}}}}}]
    variant = VariantFactory(endpoint_model="acme-70b")
    answers = [connector.chat(variant, [{"role": "user", "content": "Please add 5 and 6."}], tools=tools, seed=s)
               for s in range(40)]
    calls = [a.calls[0] for a in answers]
    assert all(a.finish_reason == "tool_calls" and a.text == "" for a in answers)
    right = [c for c in calls if c["name"] == "add_numbers" and c["arguments"] == {"a": 5, "b": 6}]
    assert 0.5 < len(right) / len(calls) < 1.0  # acme-70b is right about 70% of the time (ground truth)
    weather = connector.chat(variant, [{"role": "user", "content": "What is the weather in 'Lisbon' today?"}],
                             tools=tools, seed=2)
    assert weather.calls[0]["name"] in {"get_weather", "add_numbers"}
    after = connector.chat(variant, [{"role": "user", "content": "Add 5 and 6."},
                                     {"role": "assistant", "content": None, "tool_calls": [
                                         {"id": "c1", "type": "function",
                                          "function": {"name": "add_numbers", "arguments": "{\"a\": 5, \"b\": 6}"}}]},
                                     {"role": "tool", "tool_call_id": "c1", "content": "11"}], tools=tools)
    assert after.text == "The result is 11."
    assert after.calls == []
