"""Estimated cost of a model call from a per-model price table (SPEC §4.11); unknown models cost 0.

    estimate_cost("claude-opus-4-6", prompt_tokens=1200, completion_tokens=300)   # USD

Names are matched after normalisation: lower case, without a `models/` or `vendor/` prefix
(OpenRouter, Gemini API) and without a release-date or `-latest` suffix, so
`anthropic/claude-sonnet-4-5-20250929` prices as `claude-sonnet-4-5`. OpenRouter `:free` variants cost 0.
"""

from typing import NamedTuple

from goclaw_actors.brain.model_names import normalise_model


class Price(NamedTuple):
    """USD per one million prompt and completion tokens."""

    prompt: float
    completion: float


PER_TOKENS = 1_000_000

# Public list prices (standard tier, shortest context band) of the defaults of SPEC §4.2 and common models.
PRICES: dict[str, Price] = {
    # Google
    "gemini-3-pro-preview": Price(2.00, 12.00),
    "gemini-3-flash-preview": Price(0.50, 3.00),
    "gemini-2.5-pro": Price(1.25, 10.00),
    "gemini-2.5-flash": Price(0.30, 2.50),
    "gemini-2.5-flash-lite": Price(0.10, 0.40),
    "gemini-2.0-flash": Price(0.10, 0.40),
    "gemini-2.0-flash-lite": Price(0.075, 0.30),
    "gemini-1.5-pro": Price(1.25, 5.00),
    "gemini-1.5-flash": Price(0.075, 0.30),
    # Anthropic
    "claude-opus-4-6": Price(5.00, 25.00),
    "claude-opus-4-5": Price(5.00, 25.00),
    "claude-opus-4-1": Price(15.00, 75.00),
    "claude-opus-4": Price(15.00, 75.00),
    "claude-sonnet-4-5": Price(3.00, 15.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-3-7-sonnet": Price(3.00, 15.00),
    "claude-3-5-sonnet": Price(3.00, 15.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-5-haiku": Price(0.80, 4.00),
    "claude-3-haiku": Price(0.25, 1.25),
    # OpenAI
    "o3": Price(2.00, 8.00),
    "o3-pro": Price(20.00, 80.00),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
    "o1": Price(15.00, 60.00),
    "o1-mini": Price(1.10, 4.40),
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
}

FREE = Price(0.0, 0.0)


def price_of(model: str) -> Price:
    """The model's price, FREE when unknown, local or an OpenRouter `:free` variant."""
    name = normalise_model(model)
    if name.endswith(":free"):
        return FREE
    return PRICES.get(name, FREE)


def estimate_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float:
    """Estimated USD cost of one call (0.0 for unknown models)."""
    price = price_of(model)
    cost = (max(prompt_tokens, 0) * price.prompt + max(completion_tokens, 0) * price.completion) / PER_TOKENS
    return round(cost, 10)
