"""Token estimate and usage fallback when a provider reports no counts."""

from goclaw_actors.brain.providers.base import Usage
from goclaw_actors.brain.usage_estimate import effective_usage, estimate_usage
from goclaw_actors.tokens import estimate_message_tokens, estimate_tokens
from goclaw_actors.store.sqlite_tasks import estimate_tokens as store_estimate


def test_estimate_is_the_larger_of_words_and_bytes():
    assert estimate_tokens("") == 0
    assert estimate_tokens("one two three") == 3              # 3 × 1.33 = 3.99 → 3; 13 bytes // 4 = 3
    assert estimate_tokens("a b c d e f g h i j") == 13      # words win: 10 × 1.33
    assert estimate_tokens("x" * 400) == 100                 # bytes win
    assert estimate_tokens("é" * 8) == 4                     # utf-8 bytes, not characters


def test_store_keeps_the_same_function():
    assert store_estimate is estimate_tokens


def test_message_estimate_counts_tool_calls():
    plain = {"role": "assistant", "content": "calling"}
    with_call = dict(plain, tool_calls=[{"id": "c1", "name": "read_file", "arguments": {"path": "/tmp/x"}}])
    assert estimate_message_tokens(with_call) > estimate_message_tokens(plain) == estimate_tokens("calling")
    assert estimate_message_tokens({"role": "assistant", "content": None}) == 0


def test_usage_estimate_and_reported_usage_wins():
    messages = [{"role": "system", "content": "x" * 40}, {"role": "user", "content": "y" * 80}]
    estimated = estimate_usage(messages, "z" * 20)
    assert (estimated.prompt_tokens, estimated.completion_tokens, estimated.total_tokens, estimated.reported) == \
        (30, 5, 35, False)
    reported = Usage(prompt_tokens=7, completion_tokens=2, reported=True)
    assert effective_usage(reported, messages, "z" * 20) is reported
    assert effective_usage(None, messages, "z" * 20) == estimated
    assert effective_usage(Usage(), messages, "z" * 20) == estimated
