"""WASM benchmark: the daemon's guest call rate and host-call overhead against calling wasmtime directly,
in the same run.

The daemon runs in this process (its real store, policy, bus and SkillRuntime). Measured:

* guest calls: `SkillRuntime.call` (threadpool hop, memory reservation, a fresh Store with WASI, limits,
  fuel and epoch deadline) against a bare loop on the same thread creating a Store and instance of the same
  compiled module and calling its export;
* host calls: a guest making 1000 `host.log` calls (each posted to the hub, where the line is logged; log
  level `error`, so the line itself is filtered) against the same guest linked to a bare Python host
  function reading the same strings and logging them on the guest's own thread.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wasmtime import Engine, FuncType, Linker, Module, Store, ValType  # noqa: E402

from goclaw_actors.logs.system_log import LEVELS, configure_logging, get_logger  # noqa: E402
from goclaw_actors.wasm.host_module import read_guest_text  # noqa: E402
from supervisors.daemon import Daemon  # noqa: E402

RANDOM_WAT = '(module (func (export "random") (result i32) (i32.const 4)))'
HOST_CALLS = 1000
log = get_logger("skills")
CHATTY_WAT = f"""(module (import "host" "host.log" (func $log (param i32 i32 i32 i32)))
  (memory (export "memory") 1) (data (i32.const 0) "debugtick")
  (func (export "run") (local $i i32)
    (loop $again (call $log (i32.const 0) (i32.const 5) (i32.const 5) (i32.const 4))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const {HOST_CALLS}))))))"""


def start_daemon(workdir: Path) -> Daemon:
    """The daemon in this process with the two skills in its user skill directory."""
    home = workdir / "home"
    (home / "skills").mkdir(parents=True)
    (home / "skills" / "random.wat").write_text(RANDOM_WAT)
    (home / "skills" / "chatty.wat").write_text(CHATTY_WAT)
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\n"
                                      "bind_addr: 127.0.0.1:0\nlog_level: error\n")
    daemon = Daemon(home, {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": "bench"}, workdir)
    daemon.start()
    configure_logging(home, "error", to_stdout=False)
    return daemon


def bare(wat: str, export: str):
    """A function calling `export` of `wat` the way a bare wasmtime embedding does: new Store, instantiate,
    call; its `host.log` reads the same strings from guest memory and logs them on the calling thread."""
    engine = Engine()
    module = Module(engine, wat)
    linker = Linker(engine)
    i32 = ValType.i32()
    def host_log(caller, level_ptr, level_len, msg_ptr, msg_len):
        level, message = read_guest_text(caller, level_ptr, level_len), read_guest_text(caller, msg_ptr, msg_len)
        log.log(level if level in LEVELS else "info", "wasm guest log", skill="bare", text=message)

    linker.define_func("host", "host.log", FuncType([i32] * 4, []), host_log, access_caller=True)

    def call():
        store = Store(engine)
        return linker.instantiate(store, module).exports(store)[export](store)
    return call


def timed(fn, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def measure(direct, daemon_call, calls: int, block: int = 25) -> tuple[list[float], list[float]]:
    """Seconds per call of both paths, alternating in blocks so drift affects both alike."""
    direct_times, daemon_times = [], []
    while len(daemon_times) < calls:
        direct_times += timed(direct, block)
        daemon_times += timed(daemon_call, block)
    return direct_times, daemon_times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="guest calls per path (default 1000)")
    parser.add_argument("--host-runs", type=int, default=40, help="runs of the 1000-host-call guest (default 40)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_wasm-", dir=os.environ.get("BENCH_DIR")) as tmp:
        daemon = start_daemon(Path(tmp))
        skills = daemon.runtime.skills
        try:
            direct_random = bare(RANDOM_WAT, "random")
            measure(direct_random, lambda: skills.call("random"), 50)  # warm-up
            direct, ours = measure(direct_random, lambda: skills.call("random"), args.calls)
            d, o = statistics.median(direct), statistics.median(ours)
            print(f"guest calls   direct wasmtime {1 / d:8.0f} calls/s ({d * 1e6:7.1f} us), daemon "
                  f"{1 / o:8.0f} calls/s ({o * 1e6:7.1f} us): {(o - d) * 1e6:.1f} us added per call, "
                  f"ratio {d / o:.2f}")
            direct_chatty = bare(CHATTY_WAT, "run")
            measure(direct_chatty, lambda: skills.call("chatty"), 4, block=2)
            direct, ours = measure(direct_chatty, lambda: skills.call("chatty"), args.host_runs, block=5)
            d, o = statistics.median(direct) / HOST_CALLS, statistics.median(ours) / HOST_CALLS
            print(f"host calls    direct wasmtime {d * 1e6:7.2f} us per host.log, daemon {o * 1e6:7.2f} us: "
                  f"{(o - d) * 1e6:.2f} us added per host call ({HOST_CALLS} calls per guest run)")
        finally:
            daemon.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
