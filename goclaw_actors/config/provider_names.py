"""The provider names config.yaml, the environment and ACP accept (SPEC §2.3, §4.2), and where each
provider's model is configured."""

from typing import Any

from goclaw_actors.config.text_values import check_text
from goclaw_actors.errors import ConfigError

PROVIDER_NAMES = ("google", "anthropic", "openai", "openrouter", "ollama", "openai_compatible", "embedded", "none")
ALIASES = {"gemini": "google", "googleai": "google"}
# The `llm.<key>` holding each provider's model (`openai_model` serves every OpenAI-shaped provider).
MODEL_KEYS = {"google": "gemini_model", "anthropic": "anthropic_model", "openai": "openai_model",
              "openrouter": "openai_model", "ollama": "openai_model", "openai_compatible": "openai_model",
              "embedded": "embedded_model"}


def normalise_provider_name(name: Any) -> str:
    """Canonical provider name: lower case, aliases resolved; "" for empty or `auto`."""
    text = str(name or "").strip().lower()
    text = ALIASES.get(text, text)
    return "" if text == "auto" else text


def check_provider_name(value: Any, key: str = "provider", known_only: bool = False) -> str:
    """`value` as a canonical provider name ("" for empty or `auto`); ConfigError naming `key` when it is
    not plain text, or (`known_only`) not a known provider. config.yaml may name an unknown provider (its
    agents then give the fallback reply, SPEC §4.3); the daemon's own writes may not."""
    if value is None:
        return ""
    name = normalise_provider_name(check_text(value, key, 64))
    if known_only and name and name not in PROVIDER_NAMES:
        prefix = "" if key == "provider" else f"{key}: "
        raise ConfigError(f"{prefix}unknown provider: {value.strip()}")
    return name
