"""Failover between two real providers talking to fake servers, with circuit breakers and persisted state."""

import json

import pytest

from goclaw_actors.brain.circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreakers
from goclaw_actors.brain.failover import FailoverProvider
from goclaw_actors.brain.providers.anthropic_messages import AnthropicProvider
from goclaw_actors.brain.providers.base import CONTEXT_OVERFLOW, UNKNOWN, ChatRequest, ProviderError
from goclaw_actors.brain.providers.http import Timeouts
from goclaw_actors.brain.providers.openai_chat import OpenAIChatProvider
from tests.brain.fake_server import FakeServer, json_reply, sse_reply

TIMEOUTS = Timeouts(connect=2, read=5)
OK_OPENAI = json_reply({"model": "gpt-test", "choices": [{"index": 0, "finish_reason": "stop",
                                                          "message": {"role": "assistant", "content": "from openai"}}]})
OK_CLAUDE = json_reply({"type": "message", "model": "claude-test", "stop_reason": "end_turn",
                        "content": [{"type": "text", "text": "from claude"}]})
BROKEN = json_reply({"error": {"message": "upstream exploded"}}, 500)
REQUEST = ChatRequest(model="gpt-test", messages=[{"role": "user", "content": "hi"}])


class Clock:
    """A settable clock."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Pair:
    """A primary (OpenAI wire format) and a fallback (Anthropic wire format), each on its own fake server."""

    def __init__(self, primary_replies, fallback_replies, store=None, clock=None, threshold=3):
        self.primary_server = FakeServer(primary_replies)
        self.fallback_server = FakeServer(fallback_replies)
        self.store = {} if store is None else store
        self.clock = clock or Clock()
        self.breakers = CircuitBreakers(self.store.get, self.store.__setitem__, threshold=threshold, cooldown=60,
                                        clock=self.clock)

    def __enter__(self):
        self.primary_server.__enter__()
        self.fallback_server.__enter__()
        self.chain = FailoverProvider(
            [OpenAIChatProvider("openai", "gpt-test", self.primary_server.url, "k", TIMEOUTS),
             AnthropicProvider("claude-test", "k", self.fallback_server.url, TIMEOUTS)], self.breakers)
        return self

    def __exit__(self, *exc):
        self.primary_server.__exit__()
        self.fallback_server.__exit__()

    def calls(self):
        return len(self.primary_server.seen), len(self.fallback_server.seen)


def test_failure_moves_to_the_next_provider_with_its_own_model():
    with Pair([BROKEN], [OK_CLAUDE]) as pair:
        reply = pair.chain.chat(REQUEST)
    assert reply.content == "from claude" and reply.provider == "anthropic"
    assert pair.fallback_server.last.body["model"] == "claude-test"
    assert (pair.chain.name, pair.chain.model, pair.chain.supports_tools) == ("openai", "gpt-test", True)


def test_breaker_opens_after_threshold_then_half_open_trial_closes_it():
    with Pair([BROKEN], [OK_CLAUDE], threshold=3) as pair:
        for _ in range(3):
            assert pair.chain.chat(REQUEST).provider == "anthropic"
        assert pair.breakers.get("openai").state == OPEN and pair.calls() == (3, 3)
        assert pair.chain.chat(REQUEST).provider == "anthropic"
        assert pair.calls() == (3, 4), "an open breaker skips the provider"
        pair.clock.now += 59
        pair.chain.chat(REQUEST)
        assert pair.calls() == (3, 5), "still cooling down"
        pair.primary_server.replies = [OK_OPENAI]
        pair.clock.now += 2
        assert pair.chain.chat(REQUEST).provider == "openai"
        assert pair.breakers.get("openai").state == CLOSED and pair.calls() == (4, 5)
        assert pair.chain.chat(REQUEST).provider == "openai"


def test_failed_half_open_trial_reopens():
    with Pair([BROKEN], [OK_CLAUDE], threshold=1) as pair:
        pair.chain.chat(REQUEST)
        pair.clock.now += 61
        pair.chain.chat(REQUEST)
        breaker = pair.breakers.get("openai")
        assert pair.calls() == (2, 2) and breaker.state == OPEN and breaker.opened_at == pair.clock.now


def test_half_open_lets_one_trial_through():
    store = {}
    breakers = CircuitBreakers(store.get, store.__setitem__, threshold=1, cooldown=60, clock=Clock())
    breaker = breakers.get("p")
    breaker.record_failure()
    breakers.clock.now += 60
    assert breaker.allow() is True and breaker.state == HALF_OPEN
    assert breaker.allow() is False, "a second caller waits while the trial runs"
    breakers.clock.now += 60
    assert breaker.allow() is True, "a trial that never reported back is replaced after a cooldown"


def test_context_overflow_is_raised_without_failover():
    overflow = json_reply({"error": {"message": "maximum context length exceeded",
                                     "code": "context_length_exceeded"}}, 400)
    with Pair([overflow], [OK_CLAUDE]) as pair:
        with pytest.raises(ProviderError) as info:
            pair.chain.chat(REQUEST)
    assert info.value.error_class == CONTEXT_OVERFLOW and pair.calls() == (1, 0)
    assert pair.breakers.get("openai").state == CLOSED and pair.breakers.get("openai").failures == 0


def test_stream_fails_over_only_before_the_first_chunk():
    claude_stream = sse_reply([
        {"type": "message_start", "message": {"model": "claude-test", "usage": {"input_tokens": 1}}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "fallback"}},
        {"type": "message_stop"}], named=True)
    streaming = ChatRequest(model="gpt-test", messages=REQUEST.messages, stream=True)
    tokens = []
    with Pair([BROKEN], [claude_stream]) as pair:
        assert pair.chain.chat(streaming, tokens.append).content == "fallback"
    assert tokens == ["fallback"]
    half_done = sse_reply([{"model": "gpt-test", "choices": [{"index": 0, "delta": {"content": "partial"}}]},
                           {"error": {"message": "stream broke"}}])
    tokens = []
    with Pair([half_done], [claude_stream]) as pair:
        with pytest.raises(ProviderError, match="stream broke"):
            pair.chain.chat(streaming, tokens.append)
        assert tokens == ["partial"] and pair.calls() == (1, 0)
        assert pair.breakers.get("openai").failures == 0  # an error event without a status is not transient


def test_all_failing_lists_every_failure():
    with Pair([BROKEN], [json_reply({"type": "error", "error": {"type": "api_error", "message": "down"}}, 503)]
              ) as pair:
        with pytest.raises(ProviderError) as info:
            pair.chain.chat(REQUEST)
    assert "all providers failed" in str(info.value) and "upstream exploded" in str(info.value)
    assert "down" in str(info.value) and info.value.error_class == UNKNOWN


def test_open_circuits_are_reported_and_a_lone_failure_is_raised_as_is():
    with Pair([BROKEN], [OK_CLAUDE], threshold=1) as pair:
        pair.breakers.get("anthropic").record_failure()
        with pytest.raises(ProviderError, match="^all providers failed: openai: HTTP 500: upstream exploded; "
                                                "anthropic: circuit open$"):
            pair.chain.chat(REQUEST)
        with pytest.raises(ProviderError, match="^all providers failed: openai: circuit open; anthropic: circuit open"):
            pair.chain.chat(REQUEST)
        alone = FailoverProvider(pair.chain.providers[:1], CircuitBreakers({}.get, lambda key, value: None))
        with pytest.raises(ProviderError, match="^openai: HTTP 500: upstream exploded$") as info:
            alone.chat(REQUEST)
        assert info.value.status == 500


def test_breaker_state_is_persisted_and_reloaded():
    store, clock = {}, Clock()
    with Pair([BROKEN], [OK_CLAUDE], store=store, clock=clock, threshold=2) as pair:
        pair.chain.chat(REQUEST)
        assert json.loads(store["cb:openai"])["failures"] == 1
        pair.chain.chat(REQUEST)
    saved = json.loads(store["cb:openai"])
    assert saved["state"] == OPEN and saved["opened_at"] == clock.now
    with Pair([OK_OPENAI], [OK_CLAUDE], store=store, clock=clock, threshold=2) as restarted:
        assert restarted.chain.chat(REQUEST).provider == "anthropic" and restarted.calls() == (0, 1)
        clock.now += 61
        assert restarted.chain.chat(REQUEST).provider == "openai"
    assert json.loads(store["cb:openai"]) == {"state": CLOSED, "failures": 0, "opened_at": saved["opened_at"],
                                              "trial_started_at": clock.now}


def test_unreadable_state_starts_closed_and_settings_come_from_config(tmp_path):
    from goclaw_actors.config.loader import load_config
    store = {"cb:openai": "{not json"}
    (tmp_path / "config.yaml").write_text("llm:\n  failover_threshold: 2\n  failover_cooldown_seconds: 9\n")
    breakers = CircuitBreakers.from_config(load_config(tmp_path, {}), store.get, store.__setitem__)
    breaker = breakers.get("openai")
    assert (breaker.state, breaker.threshold, breaker.cooldown) == (CLOSED, 2, 9.0)
    assert breakers.get("openai") is breaker


def test_only_transient_failures_count_toward_the_breaker():
    """A provider that answers a bad request is healthy; a failure on our side says nothing about it;
    5xx, 429, timeouts and refused connections count (issue: two bad requests opened the breaker)."""
    bad_request = json_reply({"error": {"message": "temperature is invalid", "type": "invalid_request_error"}}, 400)
    with Pair([bad_request], [OK_CLAUDE], threshold=2) as pair:
        for _ in range(3):
            assert pair.chain.chat(REQUEST).provider == "anthropic"
        assert (pair.breakers.get("openai").state, pair.breakers.get("openai").failures) == (CLOSED, 0)
    with Pair([OK_OPENAI], [OK_CLAUDE], threshold=2) as pair:
        unserializable = ChatRequest(model="gpt-test", messages=REQUEST.messages, sampling={"temperature": float("nan")})
        for _ in range(3):
            with pytest.raises(ProviderError, match="InvalidJSONError") as info:
                pair.chain.chat(unserializable)
            assert not info.value.transient
        assert pair.calls() == (0, 0)
        assert [pair.breakers.get(name).failures for name in ("openai", "anthropic")] == [0, 0]
    limited = json_reply({"error": {"message": "slow down"}}, 429, headers={"Retry-After": "120"})
    for reply in (BROKEN, limited):
        with Pair([reply], [OK_CLAUDE], threshold=2) as pair:
            pair.chain.chat(REQUEST)
            pair.chain.chat(REQUEST)
            assert pair.breakers.get("openai").state == OPEN
    refused = FailoverProvider([OpenAIChatProvider("openai", "gpt-test", "http://127.0.0.1:9", "k", TIMEOUTS)],
                               CircuitBreakers({}.get, lambda key, value: None, threshold=1))
    with pytest.raises(ProviderError, match="request failed: ConnectionError") as info:
        refused.chat(REQUEST)
    assert info.value.transient and refused.breakers.get("openai").state == OPEN


def test_every_circuit_open_says_when_the_first_trial_is_due():
    with Pair([BROKEN], [OK_CLAUDE], threshold=1) as pair:
        pair.breakers.get("openai").record_failure()
        pair.clock.now += 20
        pair.breakers.get("anthropic").record_failure()
        with pytest.raises(ProviderError) as info:
            pair.chain.chat(REQUEST)
        assert info.value.circuit_open and info.value.retry_after == 40 and pair.calls() == (0, 0)


def test_a_local_failure_during_a_half_open_trial_lets_the_next_trial_through():
    with Pair([OK_OPENAI], [OK_CLAUDE], threshold=1) as pair:
        pair.breakers.get("openai").record_failure()
        pair.clock.now += 61
        nan = ChatRequest(model="gpt-test", messages=REQUEST.messages, sampling={"temperature": float("nan")})
        with pytest.raises(ProviderError):
            pair.chain.chat(nan)
        assert pair.breakers.get("openai").state == HALF_OPEN
        assert pair.chain.chat(REQUEST).provider == "openai"
        assert pair.breakers.get("openai").state == CLOSED
