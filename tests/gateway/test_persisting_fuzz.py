"""Hostile values through every ACP method that persists (config.yaml, policy.yaml, secrets.yaml, agents):
each is refused with a documented error or stored, never a crash, and the daemon then stops and starts
again from what it stored (SPEC §2, §9.3, §13)."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.hostile_values import integers, near, texts, values
from tests.gateway.rest_fixtures import running_daemon
from tests.gateway.test_hostile_input_fuzz import PERSISTING, acp_probe, assert_healthy
from tests.hypothesis_profiles import examples

agent_ids = st.one_of(texts, st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True))
words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40)
PLAUSIBLE = {  # accepted values that are still unusual (so that a restart reads something stored)
    "agent.create": st.fixed_dictionaries({"agent_id": st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True),
                                           "worker_count": st.just(2)},
                                          optional={"display_name": words, "soul": words}),
    "config.set": st.fixed_dictionaries({"key": st.sampled_from(["openrouter_api_key", "brave_api_key"]),
                                         "value": st.from_regex(r"[A-Za-z0-9_-]{8,40}", fullmatch=True)}),
    "config.model.set": st.fixed_dictionaries({"provider": st.sampled_from(["openai", "google"]),
                                               "model": st.from_regex(r"[a-z0-9][a-z0-9.-]{0,30}", fullmatch=True)}),
    "policy.domain.add": st.fixed_dictionaries({"domain": st.from_regex(r"([a-z0-9]{1,10}\.){1,3}[a-z]{2,5}",
                                                                         fullmatch=True)}),
}
domains = st.one_of(texts, st.from_regex(r"([a-z0-9-]{1,10}\.){1,3}[a-z]{2,5}", fullmatch=True))
PERSISTING_PARAMS = {
    "agent.create": near({"agent_id": agent_ids, "display_name": texts, "provider": st.sampled_from(
        ["openai", "google", "anthropic", "embedded", "ollama", "nope"]), "model": texts, "api_key": texts,
        "api_key_env": texts, "soul": texts, "worker_count": st.one_of(st.integers(1, 2), integers),
        "task_timeout_seconds": integers, "max_queue_depth": integers, "skills_filter": values}, ("agent_id",)),
    "config.set": near({"key": st.one_of(texts, st.sampled_from(["openrouter_api_key", "brave_api_key"])),
                        "value": texts}),
    "config.model.set": near({"provider": st.sampled_from(["openai", "google", "embedded", "nope"]),
                              "model": st.one_of(texts, st.just("../../etc/passwd"))}),
    "policy.domain.add": near({"domain": domains}),
}


def test_acp_methods_that_persist_leave_a_daemon_that_restarts(tmp_path):
    assert set(PERSISTING_PARAMS) == PERSISTING
    answers: Counter[tuple[str, str]] = Counter()
    with running_daemon(tmp_path, "agents:\n  - agent_id: coder\n") as api:
        client = AcpClient(port_of(api)).hello()

        @examples(60)
        @given(method=st.sampled_from(sorted(PERSISTING)), data=st.data())
        def probe(method: str, data):
            answer = acp_probe(client, method, data.draw(st.one_of(PLAUSIBLE[method], PERSISTING_PARAMS[method], values)))
            answers[(method, "result" if "result" in answer else "error")] += 1

        try:
            probe()
        finally:
            client.close()
        assert_healthy(api)
    assert all(answers[(method, "result")] for method in PERSISTING), answers  # some values were stored
    with running_daemon(tmp_path, None) as again:  # the same home, its files as the fuzz left them
        assert_healthy(again)
        client = AcpClient(port_of(again)).hello()
        try:
            assert client.call("agent.list")["agents"]
        finally:
            client.close()
