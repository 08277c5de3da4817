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
    assert r.status_code == 404 and "nope" in r.json()["error"]["message"]
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
    assert result.attempts == 3 and result.text


def test_connector_gives_up_and_does_not_retry_client_errors(simulator: SimulatorServer, db):
    variant = VariantFactory(endpoint_model="acme-7b")
    simulator.fail_next("acme-7b", 429, times=10)
    with pytest.raises(connector.EndpointError) as excinfo:
        connector.chat(variant, [{"role": "user", "content": "hi"}], retries=2, backoff=0.01)
    assert excinfo.value.status == 429 and excinfo.value.transient
    simulator.faults.statuses.clear()
    simulator.fail_next("acme-7b", 400, times=1)
    with pytest.raises(connector.EndpointError) as excinfo:
        connector.chat(variant, [{"role": "user", "content": "hi"}], backoff=0.01)
    assert excinfo.value.status == 400 and not excinfo.value.transient


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
        assert first.request_count > 0 and second.request_count > 0  # all on one: p = 2^-39
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
    assert seen and all(seen), seen
