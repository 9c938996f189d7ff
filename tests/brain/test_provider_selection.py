"""Provider selection (SPEC §4.3, §2.3, §2.5), failover chain and provider construction, from real config files."""

import pytest
import yaml

from goclaw_actors.brain.provider_selection import (ProviderSelection, build_provider, fallback_selections,
                                                    select_provider)
from goclaw_actors.brain.providers.anthropic_messages import AnthropicProvider
from goclaw_actors.brain.providers.base import ChatRequest, ToolSpec
from goclaw_actors.brain.providers.gemini import GeminiProvider
from goclaw_actors.brain.providers.ollama import OllamaProvider
from goclaw_actors.brain.providers.openai_chat import OpenAIChatProvider
from goclaw_actors.config.loader import load_config
from tests.brain.fake_server import FakeServer, Reply, json_reply

GEMINI_BASE = "https://generativelanguage.googleapis.com/v1beta"
AGENT = {"agent_id": "x", "provider": "anthropic", "model": "claude-x", "api_key_env": "X_KEY"}

# (case, config.yaml, environment, agent id, embedded available, expected (name, model, key, base) or None)
CASES = [
    ("nothing configured", {}, {}, "default", False, None),
    ("embedded when available", {}, {}, "default", True, ("embedded", "qwen2.5-coder-1.5b", "", "")),
    ("embedded model from env", {}, {"GOCLAW_EMBEDDED_MODEL": "smollm2"}, "default", True,
     ("embedded", "smollm2", "", "")),
    ("gemini key", {}, {"GEMINI_API_KEY": "g1"}, "default", False,
     ("google", "gemini-3-pro-preview", "g1", GEMINI_BASE)),
    ("google key checked first", {}, {"GEMINI_API_KEY": "g1", "GOOGLE_API_KEY": "g0"}, "default", False,
     ("google", "gemini-3-pro-preview", "g0", GEMINI_BASE)),
    ("auto order", {}, {"OPENAI_API_KEY": "o", "ANTHROPIC_API_KEY": "a"}, "default", True,
     ("anthropic", "claude-opus-4-6", "a", "https://api.anthropic.com")),
    ("openrouter", {}, {"OPENROUTER_API_KEY": "r"}, "default", False,
     ("openrouter", "anthropic/claude-sonnet-4-5-20250929", "r", "https://openrouter.ai/api/v1")),
    ("openai base url and model", {"llm": {"openai_model": "gpt-x"}},
     {"OPENAI_API_KEY": "o", "OPENAI_BASE_URL": "http://proxy/v1/"}, "default", False,
     ("openai", "gpt-x", "o", "http://proxy/v1")),
    ("alias gemini", {"llm": {"provider": "Gemini"}}, {"GEMINI_API_KEY": "g", "OPENAI_API_KEY": "o"}, "default",
     False, ("google", "gemini-3-pro-preview", "g", GEMINI_BASE)),
    ("alias googleai", {"llm": {"provider": "googleai"}}, {"GOOGLE_API_KEY": "g"}, "default", False,
     ("google", "gemini-3-pro-preview", "g", GEMINI_BASE)),
    ("explicit provider without key", {}, {"GOCLAW_LLM_PROVIDER": "openai", "GEMINI_API_KEY": "g"}, "default",
     True, None),
    ("env provider beats config", {"llm": {"provider": "google"}},
     {"GOCLAW_LLM_PROVIDER": "anthropic", "GEMINI_API_KEY": "g", "ANTHROPIC_API_KEY": "a"}, "default", False,
     ("anthropic", "claude-opus-4-6", "a", "https://api.anthropic.com")),
    ("provider none", {"llm": {"provider": "none"}}, {"GEMINI_API_KEY": "g"}, "default", True, None),
    ("unknown provider", {"llm": {"provider": "acme"}}, {"GEMINI_API_KEY": "g"}, "default", True, None),
    ("explicit embedded unavailable", {"llm": {"provider": "embedded"}}, {}, "default", False, None),
    ("deprecated llm_provider", {"llm_provider": "openai"}, {"OPENAI_API_KEY": "o", "GEMINI_API_KEY": "g"},
     "default", False, ("openai", "o3", "o", "https://api.openai.com/v1")),
    ("llm.provider beats deprecated", {"llm_provider": "openai", "llm": {"provider": "google"}},
     {"OPENAI_API_KEY": "o", "GEMINI_API_KEY": "g"}, "default", False,
     ("google", "gemini-3-pro-preview", "g", GEMINI_BASE)),
    ("deprecated gemini keys", {"gemini_api_key": "dep", "gemini_model": "gemini-old"}, {}, "default", False,
     ("google", "gemini-old", "dep", GEMINI_BASE)),
    ("llm.gemini_model beats deprecated", {"gemini_model": "gemini-old", "llm": {"gemini_model": "gemini-new"}},
     {"GEMINI_API_KEY": "g"}, "default", False, ("google", "gemini-new", "g", GEMINI_BASE)),
    ("GEMINI_MODEL env beats config", {"llm": {"gemini_model": "gemini-new"}},
     {"GEMINI_API_KEY": "g", "GEMINI_MODEL": "gemini-env"}, "default", False,
     ("google", "gemini-env", "g", GEMINI_BASE)),
    ("providers overrides", {"providers": {"anthropic": {"api_key": "cfg", "base_url": "http://a/",
                                                         "models": ["claude-m"]}}}, {}, "default", False,
     ("anthropic", "claude-m", "cfg", "http://a")),
    ("env key and base beat providers", {"providers": {"anthropic": {"api_key": "cfg", "base_url": "http://a"}}},
     {"ANTHROPIC_API_KEY": "env", "ANTHROPIC_BASE_URL": "http://env"}, "default", False,
     ("anthropic", "claude-opus-4-6", "env", "http://env")),
    ("api_keys section", {"api_keys": {"openrouter_api_key": "rk"}}, {}, "default", False,
     ("openrouter", "anthropic/claude-sonnet-4-5-20250929", "rk", "https://openrouter.ai/api/v1")),
    ("agent provider, model, api_key_env", {"agents": [AGENT]}, {"X_KEY": "xk", "ANTHROPIC_API_KEY": "a"}, "x",
     False, ("anthropic", "claude-x", "xk", "https://api.anthropic.com")),
    ("agent api_key_env unset falls back", {"agents": [AGENT]}, {"ANTHROPIC_API_KEY": "a"}, "x", False,
     ("anthropic", "claude-x", "a", "https://api.anthropic.com")),
    ("agent key alone is not enough", {"agents": [AGENT]}, {}, "x", True, None),
    ("agent inherits global provider", {"llm": {"provider": "openai"}, "agents": [{"agent_id": "y"}]},
     {"OPENAI_API_KEY": "o"}, "y", False, ("openai", "o3", "o", "https://api.openai.com/v1")),
    ("ollama defaults", {"llm": {"provider": "ollama"}}, {}, "default", False,
     ("ollama", "qwen3:8b", "", "http://localhost:11434")),
    ("ollama base and model", {"llm": {"provider": "ollama", "openai_compatible_base_url": "http://h:1/v1",
                                       "openai_model": "llama3"}}, {}, "default", False,
     ("ollama", "llama3", "", "http://h:1")),
    ("compatible without key", {"llm": {"provider": "openai_compatible", "openai_compatible_base_url": "http://c/v1",
                                        "openai_model": "m"}}, {}, "default", False,
     ("openai_compatible", "m", "", "http://c/v1")),
    ("compatible without base url", {"llm": {"provider": "openai_compatible", "openai_model": "m"}}, {},
     "default", True, None),
    ("compatible named provider", {"llm": {"provider": "openai_compatible", "openai_compatible_provider": "groq"},
                                   "providers": {"groq": {"base_url": "http://g/v1", "models": ["mix"]}},
                                   "api_keys": {"groq_api_key": "gk"}}, {}, "default", False,
     ("openai_compatible", "mix", "gk", "http://g/v1")),
]


@pytest.mark.parametrize("case, config, environ, agent_id, embedded, expected", CASES, ids=[c[0] for c in CASES])
def test_selection(tmp_path, case, config, environ, agent_id, embedded, expected):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    loaded = load_config(tmp_path, environ)
    selection = select_provider(loaded, loaded.agent(agent_id), environ, embedded)
    got = None if selection is None else (selection.name, selection.model, selection.api_key, selection.base_url)
    assert got == expected


def test_ollama_api_mode_from_config(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"llm": {"provider": "ollama", "ollama_api": "openai"}}))
    loaded = load_config(tmp_path, {})
    assert select_provider(loaded, None, {}, False).ollama_api == "openai"


def test_fallback_chain_skips_primary_duplicates_and_missing_credentials(tmp_path):
    config = {"llm": {"fallback_providers": ["anthropic", "gemini", "openai", "Anthropic", "none", "acme",
                                             "embedded", "ollama"]}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    environ = {"GEMINI_API_KEY": "g", "ANTHROPIC_API_KEY": "a"}
    loaded = load_config(tmp_path, environ)
    chain = fallback_selections(loaded, environ, embedded_available=False, primary="google")
    assert [s.name for s in chain] == ["anthropic", "ollama"]
    with_embedded = fallback_selections(loaded, environ, embedded_available=True, primary="anthropic")
    assert [s.name for s in with_embedded] == ["google", "embedded", "ollama"]


def test_build_provider_kinds():
    assert isinstance(build_provider(ProviderSelection("google", "g", "k", GEMINI_BASE)), GeminiProvider)
    assert isinstance(build_provider(ProviderSelection("anthropic", "c", "k", "http://a")), AnthropicProvider)
    for name in ("openai", "openrouter", "openai_compatible"):
        built = build_provider(ProviderSelection(name, "m", "k", "http://o/v1"))
        assert isinstance(built, OpenAIChatProvider) and built.name == name and built.supports_tools
    assert isinstance(build_provider(ProviderSelection("ollama", "q", "", "http://l:1")), OllamaProvider)
    with pytest.raises(ValueError):
        build_provider(ProviderSelection("embedded", "qwen2.5-coder-1.5b"))


def test_ollama_in_openai_mode_speaks_chat_completions_and_checks_tools():
    reply = {"model": "q", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                                        "finish_reason": "stop"}]}

    def handle(seen):
        if seen.path == "/api/show":
            return json_reply({"capabilities": ["completion"]})
        return json_reply(reply) if seen.path == "/v1/chat/completions" else Reply(404)

    with FakeServer(handler=handle) as server:
        provider = build_provider(ProviderSelection("ollama", "q", "", server.url, "openai"))
        tool = ToolSpec("t", "d", {"type": "object"})
        answer = provider.chat(ChatRequest(model="q", messages=[{"role": "user", "content": "x"}], tools=[tool]))
    assert answer.content == "hi" and answer.provider == "ollama"
    chat_request = [seen for seen in server.seen if seen.path == "/v1/chat/completions"][0]
    assert "tools" not in chat_request.body and "authorization" not in chat_request.headers
    assert [seen.path for seen in server.seen].count("/api/show") == 1
