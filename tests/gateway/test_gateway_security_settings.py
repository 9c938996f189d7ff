"""Parsing of the gateway.* security keys, their reload, and a bad key failing the start-up (SPEC §2.3)."""

import pytest

from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import ConfigError, StartupError
from goclaw_actors.http.security_settings import SettingsSource, key_id_of, security_settings
from supervisors.daemon import Daemon


def _config(tmp_path, text: str):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.yaml").write_text("agents: []\n" + text)
    return load_config(home, {})


def test_defaults(tmp_path):
    settings = security_settings(_config(tmp_path, ""))
    assert settings.max_request_size == 10 * 1024 * 1024
    assert not settings.auth_enabled and settings.api_keys == ()
    assert (settings.rate_limit.enabled, settings.rate_limit.requests_per_minute, settings.rate_limit.burst_size) \
        == (False, 60, 10)
    cors = settings.cors
    assert (cors.enabled, cors.allowed_origins, cors.max_age) == (False, (), 3600)
    assert cors.allowed_methods == "GET, POST, OPTIONS"
    assert cors.allowed_headers == "Content-Type, Authorization, X-API-Key"


def test_keys_and_lists(tmp_path):
    settings = security_settings(_config(tmp_path, """
gateway:
  auth:
    enabled: true
    keys:
      - {key: " k1 ", description: first, agent_ids: [default, coder], rate_limit: 30}
      - {key: k2}
  cors: {enabled: true, allowed_origins: ["*"], allowed_methods: "GET,POST", allowed_headers: [X-One, X-Two]}
"""))
    first, second = settings.api_keys
    assert (first.key, first.description, first.agent_ids, first.rate_limit) == \
        ("k1", "first", frozenset({"default", "coder"}), 30)
    assert (second.agent_ids, second.rate_limit) == (frozenset(), 0)
    assert first.key_id == key_id_of("k1") != second.key_id and "k1" not in first.key_id
    assert settings.key_by_id(second.key_id) is second
    assert settings.cors.allowed_methods == "GET, POST" and settings.cors.allowed_headers == "X-One, X-Two"
    assert settings.cors.allows("http://x.example") and not settings.cors.allows("")


@pytest.mark.parametrize("text", [
    "gateway: {auth: {enabled: yes-please}}\n",
    "gateway: {auth: {keys: [{description: no key}]}}\n",
    "gateway: {auth: {keys: {key: k}}}\n",
    "gateway: {auth: {keys: [{key: k, agent_ids: default}]}}\n",
    "gateway: {rate_limit: {requests_per_minute: 0}}\n",
    "gateway: {rate_limit: {burst_size: -1}}\n",
    "gateway: {cors: {allowed_origins: http://x.example}}\n",
])
def test_bad_values_are_refused(tmp_path, text):
    with pytest.raises(ConfigError):
        security_settings(_config(tmp_path, text))


def test_source_reparses_a_new_config_and_keeps_the_old_on_a_bad_one(tmp_path):
    current = [_config(tmp_path, "gateway: {rate_limit: {enabled: true}}\n")]
    source = SettingsSource(lambda: current[0])
    assert source().rate_limit.enabled and source() is source()
    current[0] = _config(tmp_path, "gateway: {rate_limit: {enabled: false, burst_size: 3}}\n")
    assert source().rate_limit.burst_size == 3
    current[0] = _config(tmp_path, "gateway: {rate_limit: {burst_size: 4}}\n")
    current[0].raw["gateway"]["rate_limit"]["burst_size"] = "nope"  # the loader itself refuses it
    assert source().rate_limit.burst_size == 3


def test_bad_gateway_key_fails_the_start_up(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("agents: []\nbind_addr: 127.0.0.1:0\ngateway: {auth: {keys: [{}]}}\n")
    daemon = Daemon(home, {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": "t"}, tmp_path)
    with pytest.raises(StartupError) as raised:
        daemon.start()
    daemon.shutdown()
    assert raised.value.reason_code == "E_CONFIG_LOAD" and "gateway.auth.keys[0].key" in str(raised.value)
