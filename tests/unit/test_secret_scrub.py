"""Known secret values out of text (goclaw_actors/secret_scrub.py), also across streamed chunks; YAML errors
that name a line without quoting it (goclaw_actors/config/yaml_errors.py)."""

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from goclaw_actors.brain.providers.base import ChatResponse, ToolCall
from goclaw_actors.config.loader import parse_config_text
from goclaw_actors.errors import ConfigError
from goclaw_actors.secret_scrub import (ScrubberSource, SecretScrubber, holds_secret_value, scrubbing_model,
                                        secret_values)
from tests.hypothesis_profiles import examples

SECRET = "sk-known-secret-0123"
OTHER = "tok-another-one-4567"


def test_scrub_replaces_every_known_value_and_ignores_short_ones():
    scrubber = SecretScrubber([SECRET, OTHER, "short", ""])
    assert scrubber.scrub(f"a {SECRET} b {OTHER}{SECRET}") == "a [REDACTED] b [REDACTED][REDACTED]"
    assert scrubber.scrub("short words stay") == "short words stay"
    assert scrubber.scrub_value({"k": [SECRET, 1, {"x": f"={OTHER}"}]}) == {"k": ["[REDACTED]", 1, {"x": "=[REDACTED]"}]}


@examples(100)
@given(text=st.lists(st.sampled_from([SECRET, OTHER, SECRET[:5], "sk-", "plain ", "é"]), max_size=8).map("".join),
       cuts=st.lists(st.integers(0, 200), max_size=6))
def test_a_stream_never_lets_a_secret_through_however_it_is_cut(text, cuts):
    scrubber = SecretScrubber([SECRET, OTHER])
    sent: list[str] = []
    take, flush = scrubber.stream(sent.append)
    points = sorted({0, len(text), *(cut for cut in cuts if cut < len(text))})
    for start, end in zip(points, points[1:]):
        take(text[start:end])
    flush()
    assert "".join(sent) == scrubber.scrub(text)
    assert all(SECRET not in chunk and OTHER not in chunk for chunk in sent)


def test_a_model_answer_is_scrubbed_streamed_or_not():
    def model(request, on_token):
        if on_token is not None:
            for piece in ("key: sk-kno", "wn-secret-0", "123 done"):
                on_token(piece)
        return ChatResponse(content=f"key: {SECRET} done",
                            tool_calls=[ToolCall("c1", "exec", {"command": f"curl -H 'X: {SECRET}'"})])

    call = scrubbing_model(model, lambda: SecretScrubber([SECRET]))
    streamed: list[str] = []
    response = call(None, streamed.append)
    assert "".join(streamed) == response.content == "key: [REDACTED] done"
    assert response.tool_calls[0].arguments == {"command": "curl -H 'X: [REDACTED]'"}
    assert call(None, None).content == "key: [REDACTED] done"


def test_which_variables_hold_secrets(tmp_path):
    assert all(map(holds_secret_value, ["OPENAI_API_KEY", "GOCLAW_AUTH_TOKEN", "TELEGRAM_TOKEN", "MY_SECRET",
                                        "GOCLAW_AGENT_API_KEY_CODER"]))
    assert not any(map(holds_secret_value, ["GOCLAW_HOME", "GOCLAW_BIND_ADDR", "PATH", "HOME"]))
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({"agent_api_keys": {"coder": "sk-agent-coder-key"}}))
    config = {"api_keys": {"brave_api_key": "BSA-brave-key"}, "gateway.auth.keys": [{"key": "gk-gateway-key"}]}
    values = secret_values(_Config(config), tmp_path, {"GOCLAW_AUTH_TOKEN": "the-token-value",
                                                       "GOCLAW_HOME": str(tmp_path), "OPENAI_API_KEY": "sk-openai"})
    assert values == {"the-token-value", "sk-openai", "BSA-brave-key", "gk-gateway-key", "sk-agent-coder-key"}


def test_a_yaml_error_names_the_line_but_never_quotes_it():
    with pytest.raises(ConfigError) as raised:
        parse_config_text(f"a: 1\nbroken: [{SECRET}\n")
    assert SECRET not in str(raised.value) and "line 2" in str(raised.value)


class _Config:
    """The `get(dotted key, default)` of a Config."""

    def __init__(self, values):
        self.values = values

    def get(self, key, default=None):
        return self.values.get(key, default)


def test_the_scrubber_source_follows_new_agent_keys_and_a_reloaded_configuration(tmp_path):
    config = _Config({})
    source = ScrubberSource(lambda: config, tmp_path, {"GOCLAW_AUTH_TOKEN": "the-token-value"}, {"sk-own-agent-key"})
    assert source().scrub("the-token-value sk-own-agent-key") == "[REDACTED] [REDACTED]"
    assert source() is source()  # nothing changed: not rebuilt
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({"agent_api_keys": {"new": "sk-created-at-runtime"}}))
    assert source().scrub("sk-created-at-runtime") == "[REDACTED]"
    config = _Config({"api_keys": {"brave_api_key": "BSA-set-by-config-set"}})
    assert source().scrub("BSA-set-by-config-set") == "[REDACTED]"
