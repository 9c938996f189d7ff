"""The gateway rate limit on a real socket, and its token buckets (SPEC §9.2)."""

from goclaw_actors.http.token_bucket import BucketTable
from tests.actors.daemon_fixture import daemon  # noqa: F401  (fixture)
from tests.gateway.acp_client import AcpClient
from tests.gateway.wsgi_client import call
from tests.gateway.security_client import BEARER, daemon_config, get, with_config  # noqa: F401
from tests.helpers import wait_until

# 600 per minute refills a token every 0.1 s; the slow key refills one a minute.
LIMITED = """
gateway:
  rate_limit:
    enabled: true
    requests_per_minute: 600
    burst_size: 3
  auth:
    enabled: true
    keys:
      - key: key-a
      - key: key-b
      - key: slow-key
        rate_limit: 1
"""


def _burst(daemon, n: int, **kwargs) -> list[int]:
    return [get(daemon, "/api/tasks", **kwargs).status_code for _ in range(n)]


@with_config(LIMITED)
def test_bucket_empties_then_429_with_retry_after_then_refills(daemon):
    assert _burst(daemon, 3, headers={"X-API-Key": "key-a"}) == [200, 200, 200]
    response = get(daemon, "/api/tasks", headers={"X-API-Key": "key-a"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {"error": "rate limit exceeded"}
    wait_until(lambda: get(daemon, "/api/tasks", headers={"X-API-Key": "key-a"}).status_code == 200,
               timeout=5, interval=0.05, what="a refilled token")


@with_config(LIMITED)
def test_each_key_and_each_address_has_its_own_bucket(daemon):
    assert _burst(daemon, 4, headers={"X-API-Key": "key-a"})[-1] == 429
    assert _burst(daemon, 3, headers={"X-API-Key": "key-b"}) == [200, 200, 200]
    assert _burst(daemon, 3, headers=BEARER) == [200, 200, 200]  # the daemon token: the client address's bucket


@with_config(LIMITED)
def test_a_keys_own_rate_overrides_the_global_one(daemon):
    assert _burst(daemon, 4, headers={"X-API-Key": "slow-key"})[-1] == 429
    assert _burst(daemon, 4, headers={"X-API-Key": "key-a"})[-1] == 429
    wait_until(lambda: get(daemon, "/api/tasks", headers={"X-API-Key": "key-a"}).status_code == 200,
               timeout=5, interval=0.05, what="key-a refilled at the global rate")
    assert get(daemon, "/api/tasks", headers={"X-API-Key": "slow-key"}).status_code == 429


@with_config(LIMITED)
def test_health_metrics_and_cards_are_not_limited(daemon):
    assert _burst(daemon, 4, headers=BEARER)[-1] == 429
    assert {get(daemon, "/healthz").status_code for _ in range(6)} == {200}
    assert {get(daemon, "/metrics", headers=BEARER).status_code for _ in range(6)} == {200}
    assert 429 not in {get(daemon, "/.well-known/agent.json").status_code for _ in range(6)}


def test_no_limit_unless_enabled(daemon):
    assert set(_burst(daemon, 15, headers=BEARER)) == {200}


def test_token_bucket_burst_refill_and_idle_eviction():
    now = [100.0]
    table = BucketTable(clock=lambda: now[0], sweep_interval=10.0)
    assert [table.take("a", per_minute=60, burst=2) for _ in range(3)] == [True, True, False]
    now[0] += 1.0  # one token a second
    assert table.take("a", 60, 2) and not table.take("a", 60, 2)
    assert table.take("b", 60, 2)
    now[0] += 1.5  # "b" is full again: it is the same as a fresh bucket and goes at the next sweep
    assert table.sweep(now[0]) == 1 and set(table.buckets) == {"a"}
    now[0] += 20.0
    table.take("c", 60, 2)  # a take after the sweep interval sweeps first
    assert set(table.buckets) == {"c"}


def test_token_bucket_follows_reloaded_settings():
    now = [0.0]
    table = BucketTable(clock=lambda: now[0])
    assert [table.take("a", 60, 5) for _ in range(5)] == [True] * 5
    assert not table.take("a", 120, 2)  # rate doubled, capacity lowered: still empty
    now[0] += 0.5
    assert table.take("a", 120, 2)  # a token after half a second at the new rate
    now[0] += 60.0
    assert [table.take("a", 120, 2) for _ in range(3)] == [True, True, False]  # holds at most 2


# Refusals are limited whether or not the request rate limit is on; 600 a minute refills one every 0.1 s.
GUESSED = """
gateway:
  rate_limit:
    enabled: false
    requests_per_minute: 600
    burst_size: 3
  auth:
    enabled: true
    keys:
      - key: right-key
"""


@with_config(GUESSED)
def test_refused_credentials_are_limited_per_client_address(daemon):
    guesses = [get(daemon, "/api/tasks", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(4)]
    assert guesses == [403, 403, 403, 429]
    # out of refusals, the address is not even looked at: the right key waits too, so guessing cannot go on
    response = get(daemon, "/api/tasks", headers={"X-API-Key": "right-key"})
    assert (response.status_code, response.headers["Retry-After"]) == (429, "1")
    assert call(daemon.runtime.app, "GET", "/api/tasks", {"X-API-Key": "guess-x"}).status == 403  # another address
    wait_until(lambda: get(daemon, "/api/tasks", headers={"X-API-Key": "right-key"}).status_code == 200,
               timeout=5, interval=0.05, what="a refilled refusal bucket")
    assert set(_burst(daemon, 10, headers={"X-API-Key": "right-key"})) == {200}  # admitted requests do not count


@with_config(LIMITED)
def test_acp_calls_on_an_open_socket_draw_from_the_callers_bucket(daemon):
    client = AcpClient(daemon.boot.listener.getsockname()[1], token="key-a")  # the upgrade takes a token
    try:
        answers = [client.request("system.hello") for _ in range(4)]
        assert ["result" in answer for answer in answers[:2]] == [True, True]
        assert answers[2]["error"] == {"code": 4290, "message": "rate limit exceeded"}
        assert get(daemon, "/api/tasks", headers={"X-API-Key": "key-a"}).status_code == 429  # the same bucket
        wait_until(lambda: "result" in client.request("system.hello"), timeout=5, interval=0.05,
                   what="a refilled token on the socket")
    finally:
        client.close()
