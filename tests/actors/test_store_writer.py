"""The store's writer thread: the hub keeps running while a batch commits, and batches grow while it does."""

import statistics
import time

import gevent
import pykka
import pytest

from actors.address import fixed_address
from actors.store_actor import StoreActor
from actors.store_client import StoreClient
from tests.sqlite_commit_hook import slow_commits

HELD_COMMIT = 0.05  # seconds every COMMIT takes with the hook: a very slow disk
PING = 0.0005  # the ping greenlet's sleep; libev wakes it about every millisecond
MAX_GAP = 0.002  # the longest a ping may wait for the hub, typically


@pytest.fixture
def store(tmp_path):
    ref = StoreActor.start(tmp_path / "goclaw.db", lambda events: None)
    yield ref, StoreClient(fixed_address("store", ref)), tmp_path / "goclaw.db"
    ref.stop(block=True, timeout=10)
    assert not pykka.ActorRegistry.get_all()


def test_the_hub_runs_while_a_commit_syncs(store):
    ref, client, path = store
    pings: list[float] = []
    running = True

    def ping():
        while running:
            gevent.sleep(PING)
            pings.append(time.perf_counter())

    with slow_commits(ref.proxy().writer.get().connection, path, HELD_COMMIT) as hook:
        pinger = gevent.spawn(ping)
        for i in range(6):
            client.kv.put_kv(key=f"k{i}", value="v")
        running = False
        pinger.join()
    assert len(hook.windows) == 6  # each write waited for its slow COMMIT
    for start, end in hook.windows:
        inside = [moment for moment in pings if start <= moment <= end]
        # A COMMIT on the hub would stop every ping for the whole 50 ms; here the hub keeps waking it.
        assert len(inside) >= 0.4 * (end - start) / 0.0011, f"{len(inside)} pings in a {end - start:.3f} s commit"
        gaps = [b - a for a, b in zip([start, *inside], [*inside, end])]
        assert statistics.median(gaps) < MAX_GAP, f"median gap {statistics.median(gaps) * 1000:.2f} ms"


def test_requests_arriving_during_a_commit_share_the_next_one(store):
    ref, client, path = store
    with slow_commits(ref.proxy().writer.get().connection, path, HELD_COMMIT):
        first = client.kv.put_kv.submit(key="first", value="v")
        gevent.sleep(HELD_COMMIT / 2)  # the first batch is committing now
        later = [client.kv.put_kv.submit(key=f"k{i}", value="v") for i in range(50)]
        for future in [first, *later]:
            future.get()
    stats = ref.proxy().stats().get()
    assert stats["requests"] == 51 and stats["batches"] == 2, stats
