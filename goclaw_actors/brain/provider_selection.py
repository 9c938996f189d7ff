"""Which provider, model, key and base URL an agent uses (SPEC §4.3, §2.3, §2.5), its failover chain,
and the HTTP provider object for a selection.

    selection = select_provider(config, config.agent("coder"), os.environ, embedded_available=False)
    provider = build_provider(selection) if selection else None  # None: the fallback reply
"""

from dataclasses import dataclass
from typing import Any, Mapping

from goclaw_actors.brain.providers import anthropic_messages, gemini, ollama
from goclaw_actors.brain.providers.anthropic_messages import AnthropicProvider
from goclaw_actors.brain.providers.base import Provider
from goclaw_actors.brain.providers.gemini import GeminiProvider
from goclaw_actors.brain.providers.http import Timeouts
from goclaw_actors.brain.providers.ollama import OllamaProvider, OllamaToolSupport
from goclaw_actors.brain.providers.openai_chat import OpenAIChatProvider
from goclaw_actors.config.model import AgentConfig, Config
from goclaw_actors.config.provider_names import ALIASES, MODEL_KEYS, PROVIDER_NAMES, normalise_provider_name

# Auto-selection order: the first of these with a key wins.
AUTO_ORDER = ("google", "anthropic", "openai", "openrouter")
DEFAULT_MODELS = {
    "google": "gemini-3-pro-preview",
    "anthropic": "claude-opus-4-6",
    "openai": "o3",
    "openrouter": "anthropic/claude-sonnet-4-5-20250929",
    "ollama": "qwen3:8b",
    "embedded": "qwen2.5-coder-1.5b",
}
DEFAULT_BASE_URLS = {
    "google": gemini.DEFAULT_BASE_URL,
    "anthropic": anthropic_messages.DEFAULT_BASE_URL,
    "openai": "https://api.openai.com/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "ollama": ollama.DEFAULT_BASE_URL,
}
KEY_ENV = {"google": ("GOOGLE_API_KEY", "GEMINI_API_KEY"), "anthropic": ("ANTHROPIC_API_KEY",),
           "openai": ("OPENAI_API_KEY",), "openrouter": ("OPENROUTER_API_KEY",)}
_BASE_URL_ENV = {"anthropic": "ANTHROPIC_BASE_URL", "openai": "OPENAI_BASE_URL"}


@dataclass(frozen=True)
class ProviderSelection:
    """A resolved provider: name (canonical), model, key ("" when none), base URL, Ollama API mode."""

    name: str
    model: str
    api_key: str = ""
    base_url: str = ""
    ollama_api: str = "native"


def explicit_provider_name(config: Config, agent: AgentConfig | None = None) -> str:
    """The configured provider: the agent's, else `llm.provider` (which holds GOCLAW_LLM_PROVIDER), else the
    deprecated top-level `llm_provider`; "" when none is set (auto)."""
    if agent is not None and normalise_provider_name(agent.provider):
        return normalise_provider_name(agent.provider)
    configured = config.get("llm.provider")
    if normalise_provider_name(configured):
        return normalise_provider_name(configured)
    return normalise_provider_name(config.raw.get("llm_provider"))


def select_provider(config: Config, agent: AgentConfig | None, environ: Mapping[str, str],
                    embedded_available: bool) -> ProviderSelection | None:
    """The provider `agent` uses (§4.3): the explicit one, else the first of AUTO_ORDER with a key, else
    `embedded` when available; None means no provider (the fallback reply). An explicit provider whose
    key (or, for openai_compatible, base URL and model) is missing, `none`, or an unknown name give None.
    The agent's `model` and `api_key_env` apply to whichever provider it ends up with."""
    name = explicit_provider_name(config, agent)
    if name:
        return resolve_provider(name, config, environ, embedded_available, agent)
    for candidate in AUTO_ORDER:
        if _configured_key(candidate, config, environ):
            return resolve_provider(candidate, config, environ, embedded_available, agent)
    return resolve_provider("embedded", config, environ, embedded_available, agent)


def fallback_selections(config: Config, environ: Mapping[str, str], embedded_available: bool,
                        primary: str = "") -> list[ProviderSelection]:
    """`llm.fallback_providers` resolved in order, without `primary`, duplicates, `none`, unknown names
    and providers lacking credentials (§4.5)."""
    names = config.get("llm.fallback_providers") or []
    if isinstance(names, str):
        names = names.split(",")
    chain, seen = [], {normalise_provider_name(primary)}
    for raw_name in names if isinstance(names, list) else []:
        name = normalise_provider_name(raw_name)
        if not name or name in seen:
            continue
        seen.add(name)
        selection = resolve_provider(name, config, environ, embedded_available)
        if selection is not None:
            chain.append(selection)
    return chain


def resolve_provider(name: str, config: Config, environ: Mapping[str, str], embedded_available: bool,
                     agent: AgentConfig | None = None) -> ProviderSelection | None:
    """`name` with its model, key and base URL, or None when it lacks what it needs to run."""
    name = normalise_provider_name(name)
    if name not in PROVIDER_NAMES or name == "none":
        return None
    model = _model(name, config, environ, agent)
    if name == "embedded":
        return ProviderSelection("embedded", model) if embedded_available else None
    key = _agent_key(agent, environ) or _configured_key(name, config, environ)
    if name in AUTO_ORDER:
        if not key:
            return None
        base_url = (environ.get(_BASE_URL_ENV.get(name, ""), "").strip()
                    or _provider_entry(config, name).get("base_url") or DEFAULT_BASE_URLS[name])
        return ProviderSelection(name, model, key, str(base_url).rstrip("/"))
    if name == "ollama":
        base_url = (_provider_entry(config, "ollama").get("base_url") or config.get("llm.openai_compatible_base_url")
                    or DEFAULT_BASE_URLS["ollama"])
        api = str(config.get("llm.ollama_api") or "native").strip().lower()
        return ProviderSelection("ollama", model, key, _strip_suffix(str(base_url).rstrip("/"), "/v1"),
                                 "openai" if api == "openai" else "native")
    base_url = config.get("llm.openai_compatible_base_url") or _compatible_entry(config).get("base_url")
    if not base_url or not model:
        return None
    return ProviderSelection("openai_compatible", model, key, str(base_url).rstrip("/"))


def build_provider(selection: ProviderSelection, timeouts: Timeouts = Timeouts()) -> Provider:
    """The HTTP provider for `selection` (build once per agent and reuse: Ollama's tool check is cached on
    it). `embedded` is built by goclaw_actors.brain.embedded, so it raises ValueError here."""
    name, model, key, base = selection.name, selection.model, selection.api_key, selection.base_url
    if name == "google":
        return GeminiProvider(model, key, base, timeouts)
    if name == "anthropic":
        return AnthropicProvider(model, key, base, timeouts)
    if name in ("openai", "openrouter", "openai_compatible"):
        return OpenAIChatProvider(name, model, base, key, timeouts)
    if name == "ollama":
        tool_support = OllamaToolSupport(base)
        if selection.ollama_api == "openai":
            return OpenAIChatProvider("ollama", model, base + "/v1", key, timeouts, tools_probe=tool_support)
        return OllamaProvider(model, base, timeouts, tool_support)
    raise ValueError(f"no HTTP provider for {name!r}")


def _model(name: str, config: Config, environ: Mapping[str, str], agent: AgentConfig | None) -> str:
    if agent is not None and agent.model.strip():
        return agent.model.strip()
    candidates = [environ.get("GEMINI_MODEL", "")] if name == "google" else []
    candidates.append(config.get(f"llm.{MODEL_KEYS[name]}"))
    if name == "google":
        candidates.append(config.raw.get("gemini_model"))
    models = (_compatible_entry(config) if name == "openai_compatible" else _provider_entry(config, name)).get("models")
    candidates.append(models[0] if isinstance(models, list) and models else models)
    candidates.append(DEFAULT_MODELS.get(name, ""))
    return next((str(value).strip() for value in candidates if value and str(value).strip()), "")


def _agent_key(agent: AgentConfig | None, environ: Mapping[str, str]) -> str:
    """The key in the variable the agent's `api_key_env` names ("" when unset or empty)."""
    if agent is None or not agent.api_key_env.strip():
        return ""
    return environ.get(agent.api_key_env.strip(), "").strip()


def _configured_key(name: str, config: Config, environ: Mapping[str, str]) -> str:
    """The provider's key: environment first, then providers.<name>.api_key, then api_keys.<name>_api_key
    (and, for google, the deprecated top-level gemini_api_key)."""
    for variable in KEY_ENV.get(name, ()):
        if environ.get(variable, "").strip():
            return environ[variable].strip()
    entry = _compatible_entry(config) if name == "openai_compatible" else _provider_entry(config, name)
    api_keys = config.get("api_keys") or {}
    names = [name] + [alias for alias, target in ALIASES.items() if target == name]
    if name == "openai_compatible" and config.get("llm.openai_compatible_provider"):
        names.append(str(config.get("llm.openai_compatible_provider")).strip().lower())
    candidates = [entry.get("api_key")] + [api_keys.get(f"{n}_api_key") for n in names if isinstance(api_keys, dict)]
    if name == "google":
        candidates.append(config.raw.get("gemini_api_key"))
    return next((str(value).strip() for value in candidates if value and str(value).strip()), "")


def _provider_entry(config: Config, name: str) -> dict[str, Any]:
    """providers.<name> (any alias spelling), {} when absent."""
    providers = config.get("providers") or {}
    if not isinstance(providers, dict):
        return {}
    for key, entry in providers.items():
        if normalise_provider_name(key) == name and isinstance(entry, dict):
            return entry
    return {}


def _compatible_entry(config: Config) -> dict[str, Any]:
    """providers.openai_compatible, else providers.<llm.openai_compatible_provider>."""
    entry = _provider_entry(config, "openai_compatible")
    named = str(config.get("llm.openai_compatible_provider") or "").strip().lower()
    return entry or (_provider_entry(config, named) if named else {})


def _strip_suffix(text: str, suffix: str) -> str:
    return text[: -len(suffix)] if text.endswith(suffix) else text
