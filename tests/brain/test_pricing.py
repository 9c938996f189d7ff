"""Price table lookups and cost estimates."""

import pytest

from goclaw_actors.brain.model_names import normalise_model
from goclaw_actors.brain.pricing import FREE, Price, estimate_cost, price_of


@pytest.mark.parametrize("model", [
    "gemini-3-pro-preview", "claude-opus-4-6", "o3", "anthropic/claude-sonnet-4-5-20250929",
])
def test_default_models_of_every_provider_have_a_price(model):
    assert price_of(model) != FREE


@pytest.mark.parametrize("model,key", [
    ("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("models/gemini-2.5-flash", "gemini-2.5-flash"),
    ("GPT-4o-2024-08-06", "gpt-4o"),
    ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
    ("openai/gpt-4o-mini", "gpt-4o-mini"),
    ("qwen3:8b", "qwen3:8b"),
])
def test_names_are_normalised(model, key):
    assert normalise_model(model) == key


def test_estimate_cost_per_million_tokens():
    assert estimate_cost("claude-opus-4-6", 1_000_000, 0) == 5.0
    assert estimate_cost("claude-opus-4-6", 0, 1_000_000) == 25.0
    assert estimate_cost("o3", 1200, 300) == pytest.approx((1200 * 2.0 + 300 * 8.0) / 1e6)
    assert estimate_cost("anthropic/claude-sonnet-4-5-20250929", 2000, 1000) == pytest.approx(0.021)


def test_distinct_variants_are_not_confused_by_prefixes():
    assert price_of("gpt-4o-mini") == Price(0.15, 0.60)
    assert price_of("o3-pro") != price_of("o3")


@pytest.mark.parametrize("model", [
    "qwen3:8b", "qwen2.5-coder-1.5b", "smollm2", "some-new-model", "", "meta-llama/llama-3.3-70b:free",
])
def test_unknown_local_and_free_models_cost_nothing(model):
    assert estimate_cost(model, 10_000, 10_000) == 0.0


def test_negative_counts_are_treated_as_zero():
    assert estimate_cost("o3", -5, -5) == 0.0
