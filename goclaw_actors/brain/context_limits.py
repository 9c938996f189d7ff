"""Context window of a model (SPEC §4.8): `context_limits` override, else per family, else 128 000.

    context_limit("claude-opus-4-6")                                   # 200 000
    context_limit("my-model", overrides=config.get("context_limits"))  # the configured value
    context_limit("qwen2.5-coder-1.5b", provider="embedded", embedded_context=4096)
"""

from typing import Any

from goclaw_actors.brain.model_names import normalise_model

DEFAULT_CONTEXT_LIMIT = 128_000
EMBEDDED_CONTEXT = 4096
GEMINI_LIMIT = 1_048_576
CLAUDE_LIMIT = 200_000
OPENAI_128K_LIMIT = 128_000
# Families matched by name prefix; the OpenAI names also match their dated and `-mini`-style variants.
_PREFIX_LIMITS = (("gemini-", GEMINI_LIMIT), ("claude-", CLAUDE_LIMIT))
_OPENAI_128K = ("gpt-4o", "o1", "o3-mini")


def context_limit(model: str, provider: str = "", overrides: dict[str, Any] | None = None,
                  embedded_context: int = EMBEDDED_CONTEXT) -> int:
    """Context window in tokens of `model` served by `provider` (the embedded one uses its own context)."""
    name = normalise_model(model)
    for key in (model, name):
        if overrides and key in overrides:
            return _positive(overrides[key], key)
    if provider == "embedded":
        return embedded_context
    for prefix, limit in _PREFIX_LIMITS:
        if name.startswith(prefix):
            return limit
    if any(name == family or name.startswith(family + "-") for family in _OPENAI_128K):
        return OPENAI_128K_LIMIT
    return DEFAULT_CONTEXT_LIMIT


def _positive(value: Any, model: str) -> int:
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if isinstance(value, bool) or limit <= 0:
        raise ValueError(f'context_limits["{model}"] must be a positive integer, got {value!r}')
    return limit
