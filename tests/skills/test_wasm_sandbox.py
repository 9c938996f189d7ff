"""The WASM sandbox with WAT modules (SPEC §8.3): fuel, deadline, memory limits, host calls under policy,
faults and quarantine, two-phase loading."""

import time

import pytest

from goclaw_actors.tools.url_guard import check_url
from goclaw_actors.wasm import faults
from goclaw_actors.wasm.faults import WasmFault
from goclaw_actors.wasm.host_module import HostPorts
from goclaw_actors.wasm.memory_budget import MemoryBudget
from goclaw_actors.wasm.sandbox import WasmLimits, WasmLoadError, WasmSandbox
from tests.brain.fake_server import FakeServer, Reply
from tests.skills.skill_fixtures import (KV_WAT, MEMORY_BOMB_WAT, RANDOM_WAT, SPIN_WAT, TRAP_WAT, WASI_RANDOM_WAT,
                                        http_wat)


class Host:
    """The host's side for the sandbox: granted capabilities, audit lines, kv values, log lines, faults."""

    def __init__(self, capabilities=(), domains=("localhost",)):
        self.capabilities = set(capabilities)
        self.domains = domains
        self.audits, self.kv, self.logs, self.faults = [], {}, [], []

    def ports(self):
        import requests

        def http_get(url):
            check_url(url, self.domains, allow_loopback=True)
            return requests.get(url, timeout=5).content

        return HostPorts(allows=self.capabilities.__contains__,
                         audit=lambda *entry: self.audits.append(entry),
                         kv_set=self.kv.__setitem__, http_get=http_get,
                         log=lambda level, message, module: self.logs.append((level, message, module)))

    def on_fault(self, module, fault):
        self.faults.append((module, fault.code))
        return "quarantined" if len(self.faults) >= 5 else "active"


@pytest.fixture
def host():
    return Host()


@pytest.fixture
def made():
    """Sandboxes made by a test, closed after it."""
    sandboxes = []
    yield sandboxes
    for sandbox in sandboxes:
        sandbox.close()


@pytest.fixture
def make(made):
    return lambda *args, **kwargs: _make(made, *args, **kwargs)


def _make(made, tmp_path, host, limits=WasmLimits(fuel=10**12, timeout_seconds=30), budget=None, **modules):
    sandbox = WasmSandbox(lambda: limits, host.ports(), host.on_fault, budget)
    made.append(sandbox)
    for name, wat in modules.items():
        path = tmp_path / f"{name}.wat"
        path.write_text(wat)
        sandbox.activate(sandbox.prepare(name, path))
    return sandbox


def fault_of(sandbox, name):
    with pytest.raises(WasmFault) as caught:
        sandbox.call(name)
    return caught.value


def test_a_call_returns_the_first_export_result(tmp_path, host, make):
    sandbox = make(tmp_path, host, random=RANDOM_WAT)
    assert sandbox.call("random") == 4
    assert fault_of(sandbox, "other").code == faults.MODULE_NOT_FOUND


def test_the_readme_random_skill_draws_from_wasi(tmp_path, host, make):
    sandbox = make(tmp_path, host, random=WASI_RANDOM_WAT)
    draws = {sandbox.call("random") for _ in range(20)}
    assert all(0 <= n < 1000 for n in draws) and len(draws) > 1


def test_an_infinite_loop_is_stopped_by_fuel(tmp_path, host, make):
    sandbox = make(tmp_path, host, WasmLimits(fuel=5_000_000, timeout_seconds=30), spin=SPIN_WAT)
    fault = fault_of(sandbox, "spin")
    assert (fault.code, fault.detail) == (faults.TIMEOUT, "fuel exhausted (5000000 units)")
    assert host.faults == [("spin", faults.TIMEOUT)]


def test_an_infinite_loop_is_stopped_by_the_deadline_while_the_hub_keeps_running(tmp_path, host, make):
    import gevent
    sandbox = make(tmp_path, host, WasmLimits(fuel=10**15, timeout_seconds=0.3), spin=SPIN_WAT)
    ticks = []
    ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.01)) for _ in range(20)])
    started = time.monotonic()
    fault = fault_of(sandbox, "spin")
    ticker.kill()
    assert (fault.code, fault.detail) == (faults.TIMEOUT, "deadline of 0.3s passed")
    assert 0.3 <= time.monotonic() - started < 3
    assert len(ticks) == 20  # greenlets ran while the guest spun on a thread


def test_a_memory_bomb_is_stopped_at_the_module_limit(tmp_path, host, make):
    sandbox = make(tmp_path, host, bomb=MEMORY_BOMB_WAT)
    fault = fault_of(sandbox, "bomb")
    assert fault.code == faults.MEMORY_EXCEEDED and "160 pages" in fault.detail
    assert sandbox.memory()["modules"]["bomb"] == 160 and sandbox.memory()["pages"] == 0


def test_live_instances_share_the_aggregate_limit(tmp_path, host, make):
    budget = MemoryBudget(module_limit=160, aggregate_limit=320)
    sandbox = make(tmp_path, host, WasmLimits(fuel=10**15, timeout_seconds=1), budget, spin=SPIN_WAT,
                   random=RANDOM_WAT)
    import gevent
    spinning = [gevent.spawn(sandbox.call, "spin") for _ in range(2)]
    gevent.sleep(0.2)
    assert sandbox.memory()["pages"] == 320
    fault = fault_of(sandbox, "random")
    assert fault.code == faults.HOST_MEMORY_EXHAUSTED
    gevent.joinall(spinning)
    assert sandbox.memory()["pages"] == 0 and sandbox.call("random") == 4
    assert host.faults == [("spin", faults.TIMEOUT)] * 2  # the refused call is not the guest's fault


def test_kv_set_is_allowed_by_policy_and_audited(tmp_path, make):
    host = Host(capabilities={"wasm.kv.set"})
    sandbox = make(tmp_path, host, kv=KV_WAT)
    assert sandbox.call("kv") == 1
    assert host.kv == {"wasm:key": "value"}
    assert host.logs == [("info", "wrote it", "kv")]
    assert host.audits == [("allow", "wasm.kv.set", "capability_granted", "kv")]


def test_kv_set_is_denied_without_the_capability(tmp_path, host, make):
    sandbox = make(tmp_path, host, kv=KV_WAT)
    assert sandbox.call("kv") == 0
    assert host.kv == {} and host.audits == [("deny", "wasm.kv.set", "missing_capability", "kv")]


def test_http_get_writes_the_body_through_alloc_when_allowed(tmp_path, make):
    host = Host(capabilities={"wasm.http.get"})
    with FakeServer(handler=lambda seen: Reply(body=b"hello from the web")) as web:
        sandbox = make(tmp_path, host, fetch=http_wat(web.url.replace("127.0.0.1", "localhost") + "/page"))
        pointer = sandbox.call("fetch")
        assert pointer == 4096 and web.seen[-1].path == "/page"
        assert host.audits == [("allow", "wasm.http.get", "capability_granted", "fetch")]


def test_http_get_is_denied_by_capability_and_by_the_url_policy(tmp_path, make):
    with FakeServer(handler=lambda seen: Reply(body=b"x")) as web:
        url = web.url.replace("127.0.0.1", "localhost") + "/page"
        denied = Host()
        sandbox = make(tmp_path, denied, fetch=http_wat(url))
        assert sandbox.call("fetch") == 0
        assert denied.audits == [("deny", "wasm.http.get", "missing_capability", "fetch")]
        other_domain = Host(capabilities={"wasm.http.get"}, domains=("example.org",))
        sandbox = make(tmp_path, other_domain, fetch=http_wat(url))
        assert sandbox.call("fetch") == 0
        assert other_domain.audits[-1] == ("deny", "wasm.http.get", "url_denied", f"fetch {url}")
        assert web.seen == []


def test_faults_lead_to_quarantine_and_re_enabling_runs_the_skill_again(tmp_path, host, make):
    sandbox = make(tmp_path, host, trap=TRAP_WAT)
    for _ in range(5):
        assert fault_of(sandbox, "trap").code == faults.FAULT
    assert fault_of(sandbox, "trap").code == faults.QUARANTINED
    assert len(host.faults) == 5
    sandbox.set_state("trap", "active")
    assert fault_of(sandbox, "trap").code == faults.FAULT


def test_no_callable_export_is_its_own_fault(tmp_path, host, make):
    sandbox = make(tmp_path, host, lib='(module (func (export "helper") (param i32)))')
    assert fault_of(sandbox, "lib").code == faults.NO_EXPORT
    assert host.faults == []


def test_a_broken_module_is_refused_before_it_replaces_the_running_one(tmp_path, host, make):
    sandbox = make(tmp_path, host, random=RANDOM_WAT)
    for broken in ("(module (func (export \"random\") (result i32) (i32.const", "not wasm at all",
                   '(module (import "host" "host.nothing" (func)))',
                   '(module (memory 200) (func (export "run")))'):
        (tmp_path / "random.wat").write_text(broken)
        with pytest.raises(WasmLoadError):
            sandbox.prepare("random", tmp_path / "random.wat")
        assert sandbox.call("random") == 4
