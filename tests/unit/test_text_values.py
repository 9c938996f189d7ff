"""Text the daemon persists: Unicode scalar values only, no control characters, bounded lengths, and the
characters each kind of name may hold (domains, model names, provider names, key names, embedded models)."""

import pytest

from goclaw_actors.config.embedded_model_setting import check_embedded_model
from goclaw_actors.config.provider_names import check_provider_name
from goclaw_actors.config.text_values import (check_env_var_name, check_model_name, check_secret_name,
                                              check_secret_value, check_text, field_label, unencodable_path)
from goclaw_actors.errors import ConfigError, PolicyError
from goclaw_actors.policy.domain_names import normalise_domain

SURROGATE = "\ud800"


@pytest.mark.parametrize("value,fragment", [
    (SURROGATE, "lone surrogates"), ("ok" + "\udfff", "lone surrogates"), ("a\x00b", "control characters"),
    ("a\nb", "control characters"), ("\x85", "control characters"), ("x" * 129, "at most 128"),
    (5, "must be a string"), (None, "must be a string"), (b"bytes", "must be a string"),
])
def test_check_text_refuses(value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        check_text(value, "field")


def test_check_text_accepts_unicode_and_multiline_prompts():
    assert check_text("Zoë 🦀 日本", "name") == "Zoë 🦀 日本"
    assert check_text("one\n\ttwo\r\n", "soul", 100, multiline=True) == "one\n\ttwo\r\n"


def test_unencodable_paths_are_named_and_escaped():
    assert unencodable_path({"llm": {"gemini_model": "ok"}, "agents": [{"soul": "x"}]}) is None
    assert unencodable_path({"agents": [{}, {"soul": "a" + SURROGATE}]}) == "agents[1].soul"
    path = unencodable_path({"api_keys": {SURROGATE: "v"}})
    assert path == "api_keys.'\\ud800'" and path.encode("utf-8")
    shared = ["x"] * 50
    bomb = {"a": [shared] * 50, "b": [[shared] * 50] * 50}  # YAML aliases: each container walked once
    assert unencodable_path(bomb) is None
    assert field_label("plain") == "plain" and field_label("a\x1bb") == "'a\\x1bb'"


@pytest.mark.parametrize("value,expected", [
    ("Docs.Example.COM", "docs.example.com"), ("*.example.com", ".example.com"), (".example.com", ".example.com"),
    ("example.com.", "example.com"), ("localhost", "localhost"), ("10.0.0.1", "10.0.0.1"),
    ("bücher.de", "xn--bcher-kva.de"), ("my_host.example.org", "my_host.example.org"),
])
def test_domains_are_host_names(value, expected):
    assert normalise_domain(value) == expected


@pytest.mark.parametrize("value", [
    "", "https://example.com", "example.com:443", "example.com/path", "exa mple.com", "*.*.com", "ex*.com",
    "-example.com", "example-.com", "a..b", "." * 3, "x" * 64 + ".com", ("a." * 130) + "com", SURROGATE + ".com",
    "evil.com\x00.safe.com", "exa\u202emple.com", 42, ["example.com"],
])
def test_anything_else_is_refused(value):
    with pytest.raises(PolicyError):
        normalise_domain(value, "domain")


def test_model_provider_and_key_names():
    for name in ("gemini-2.5-flash", "qwen3:8b", "anthropic/claude-sonnet-4-5-20250929", "hf.co/org/m:Q4_K_M"):
        assert check_model_name(name) == name
    for bad in (" ", "../x", "-x", "a b", "x" * 201, SURROGATE, "m\x00", 3):
        with pytest.raises(ConfigError, match="model"):
            check_model_name(bad)
    assert check_provider_name("Gemini") == "google" and check_provider_name("auto") == ""
    assert check_provider_name("acme") == "acme"  # config.yaml may name it: its agents answer the fallback
    with pytest.raises(ConfigError, match="unknown provider: acme"):
        check_provider_name("acme", known_only=True)
    with pytest.raises(ConfigError):
        check_provider_name("goo\x00gle")
    assert check_env_var_name("CODER_API_KEY") == "CODER_API_KEY"
    for bad in ("1ABC", "A-B", "A B", "", "A" * 129):
        with pytest.raises(ConfigError):
            check_env_var_name(bad)
    assert check_secret_name("brave_api_key") == "brave_api_key"
    for bad in ("a.b", "a/b", "", "_x", "x" * 65):
        with pytest.raises(ConfigError):
            check_secret_name(bad)
    assert check_secret_value("sk-abc_123.XYZ=") == "sk-abc_123.XYZ="
    for bad in ("sk abc", "sk\x00", "ключ", "x" * 4097, SURROGATE):
        with pytest.raises(ConfigError):
            check_secret_value(bad)


def test_embedded_model_is_a_name_never_a_path():
    assert check_embedded_model(None) == check_embedded_model("") == "qwen2.5-coder-1.5b"
    assert check_embedded_model("smollm2") == "smollm2" and check_embedded_model("mine.Q4.gguf") == "mine.Q4.gguf"
    for bad in ("/etc/passwd", "../models/x.gguf", "models/x.gguf", "~/x.gguf", "x.bin", ".hidden.gguf",
                "C:\\x.gguf", "x.gguf\x00", SURROGATE + ".gguf"):
        with pytest.raises(ConfigError, match="llm.embedded_model"):
            check_embedded_model(bad)
