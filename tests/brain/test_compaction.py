"""Compaction thresholds, what is kept, the summary message and its fallback; context limits per model."""

import pytest

from goclaw_actors.brain.compaction import (
    FALLBACK_SUMMARY, available_tokens, compact, needs_compaction, split_history, summary_prompt)
from goclaw_actors.brain.context_limits import context_limit

LIMIT = 50_000          # available = 40 000; compact at 30 000; keep ≤ 24 000


def history(*tokens, role="user"):
    return [{"id": i + 1, "role": role, "content": f"m{i + 1}", "tokens": t} for i, t in enumerate(tokens)]


def test_available_is_limit_minus_reserve_but_at_least_half():
    assert available_tokens(200_000) == 190_000
    assert available_tokens(LIMIT) == 40_000
    assert available_tokens(4096) == 2048
    assert available_tokens(20_000) == 10_000


def test_threshold_is_three_quarters_of_available_and_more_than_ten_messages():
    assert not needs_compaction(history(*[2_999] * 10, 0), LIMIT)        # 29 990 < 30 000
    assert needs_compaction(history(*[3_000] * 10, 0), LIMIT)            # 30 000, 11 messages
    assert not needs_compaction(history(*[3_000] * 10), LIMIT)           # exactly 10 messages
    assert not needs_compaction([], LIMIT)


def test_missing_token_counts_are_estimated():
    big = [{"id": i, "role": "user", "content": "x" * 12_000, "tokens": 0} for i in range(11)]
    assert needs_compaction(big, LIMIT)                                   # 11 × 3 000 estimated


def test_keeps_the_newest_that_fit_in_sixty_percent():
    older, kept = split_history(history(*[2_000] * 20), LIMIT)           # 40 000 total, keep ≤ 24 000
    assert [m["id"] for m in kept] == list(range(9, 21))                 # 12 × 2 000 = 24 000
    assert [m["id"] for m in older] == list(range(1, 9))


def test_keeps_at_least_ten_even_when_they_exceed_the_budget():
    older, kept = split_history(history(*[5_000] * 12), LIMIT)
    assert len(kept) == 10 and [m["id"] for m in older] == [1, 2]


def test_kept_part_never_starts_with_an_orphaned_tool_result():
    messages = history(*[2_000] * 20)
    messages[7]["role"] = "assistant"
    messages[8]["role"] = messages[9]["role"] = "tool"                   # ids 9 and 10 answer id 8
    older, kept = split_history(messages, LIMIT)
    assert kept[0]["id"] == 8 and [m["id"] for m in older] == list(range(1, 8))


def test_compact_summarises_and_archives_the_older_messages():
    messages = history(*[2_000] * 20)
    seen = []

    def summarise(older):
        seen.append([m["id"] for m in older])
        return "  the user likes tea  "

    plan = compact(messages, LIMIT, summarise)
    assert seen == [list(range(1, 9))]
    assert plan.archive_ids == list(range(1, 9))
    assert plan.summary["role"] == "system"
    assert plan.summary["content"] == "Previous conversation summary: the user likes tea"
    assert plan.summary["tokens"] > 0
    assert plan.summary_error is None
    assert plan.messages == [plan.summary, *messages[8:]]


@pytest.mark.parametrize("summarise,error", [
    (lambda older: (_ for _ in ()).throw(RuntimeError("provider down")), "RuntimeError: provider down"),
    (lambda older: "   ", "empty summary"),
    (lambda older: None, "empty summary"),
])
def test_failed_summary_uses_the_truncation_notice(summarise, error):
    plan = compact(history(*[2_000] * 20), LIMIT, summarise)
    assert plan.summary["content"] == "Previous conversation summary: " + FALLBACK_SUMMARY
    assert plan.summary_error == error
    assert plan.archive_ids == list(range(1, 9))


def test_no_plan_below_the_threshold_and_summariser_not_called():
    def summarise(older):
        raise AssertionError("must not be called")

    assert compact(history(*[100] * 50), LIMIT, summarise) is None


def test_a_previous_summary_is_summarised_again_like_any_older_message():
    messages = history(*[2_000] * 20)
    messages[0].update(role="system", content="Previous conversation summary: earlier")
    plan = compact(messages, LIMIT, lambda older: older[0]["content"][-7:])
    assert plan.summary["content"] == "Previous conversation summary: earlier"


def test_summary_prompt_lists_the_conversation():
    text = summary_prompt([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
    assert text.endswith("Conversation:\nuser: hi\nassistant: hello")


@pytest.mark.parametrize("model,provider,expected", [
    ("gemini-3-pro-preview", "google", 1_048_576),
    ("models/gemini-2.5-flash", "google", 1_048_576),
    ("claude-opus-4-6", "anthropic", 200_000),
    ("anthropic/claude-sonnet-4-5-20250929", "openrouter", 200_000),
    ("gpt-4o", "openai", 128_000),
    ("gpt-4o-mini", "openai", 128_000),
    ("o1", "openai", 128_000),
    ("o3-mini", "openai", 128_000),
    ("o3", "openai", 128_000),
    ("qwen3:8b", "ollama", 128_000),
    ("qwen2.5-coder-1.5b", "embedded", 4096),
])
def test_context_limit_per_family(model, provider, expected):
    assert context_limit(model, provider) == expected


def test_embedded_uses_the_model_context():
    assert context_limit("smollm2", "embedded", embedded_context=8192) == 8192


def test_config_overrides_win():
    overrides = {"claude-opus-4-6": 50_000, "qwen3:8b": "32768", "gpt-4o": 64_000}
    assert context_limit("claude-opus-4-6", "anthropic", overrides) == 50_000
    assert context_limit("qwen3:8b", "ollama", overrides) == 32_768
    assert context_limit("openai/gpt-4o", "openrouter", overrides) == 64_000       # normalised name
    assert context_limit("qwen2.5-coder-1.5b", "embedded", {"qwen2.5-coder-1.5b": 2048}) == 2048
    assert context_limit("claude-opus-4-6", "anthropic", {}) == 200_000


@pytest.mark.parametrize("bad", [0, -1, "lots", None, True])
def test_invalid_override_is_a_value_error(bad):
    with pytest.raises(ValueError, match='context_limits\\["m"\\] must be a positive integer'):
        context_limit("m", overrides={"m": bad})
