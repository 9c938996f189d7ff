"""Tool benchmark: the per-call overhead of the tool path (policy check, schema, dedup, audit, tool_call event)
against calling the same tool function directly, in the same run.

The daemon runs in this process (its real store, policy and bus); the guarded path is the one agents use
(`guarded_call` with the daemon's ToolGuard pieces from supervisors/tool_wiring.py). Calls alternate in
blocks between the direct and the guarded path so drift affects both alike.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actors.task_streams import StreamChunk  # noqa: E402
from goclaw_actors.brain.providers.base import ToolCall  # noqa: E402
from goclaw_actors.brain.tools import ToolContext  # noqa: E402
from goclaw_actors.logs.system_log import configure_logging  # noqa: E402
from goclaw_actors.tools.guarded_call import ToolGuard, guarded_call  # noqa: E402
from supervisors.daemon import Daemon  # noqa: E402
from supervisors.tool_wiring import StoreDedup, agent_tools, policy_allows, task_audit, tool_approvals  # noqa: E402

POLICY = "allow_capabilities: [tools.memory_read, tools.memory_write]\n"
BLOCK = 25  # calls per block; blocks alternate between the two paths


def start_daemon(workdir: Path) -> Daemon:
    """The daemon in this process, with a policy granting the memory tools."""
    home = workdir / "home"
    home.mkdir()
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\nbind_addr: 127.0.0.1:0\nlog_level: warn\n")
    (home / "policy.yaml").write_text(POLICY)
    daemon = Daemon(home, {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": "bench"}, workdir)
    daemon.start()
    configure_logging(home, "warn", to_stdout=False)
    return daemon


def store_stats(daemon: Daemon) -> dict[str, float]:
    """The store actor's commit counters."""
    return daemon.runtime.registry.lookup("store").proxy().stats().get()


def measure(daemon: Daemon, tool_name: str, calls: int) -> dict[str, float]:
    """Median seconds per call of the direct tool function and of the guarded path over `calls` calls each,
    with the store commits the guarded calls caused and the mean seconds one commit took."""
    rt = daemon.runtime
    agent = rt.agent_config("default")
    tools = agent_tools(rt, agent, rt.config, rt.home, rt.environ)
    tool = tools.get(tool_name)
    task_id = str(uuid.uuid4())
    streams = rt.registry.address("task_streams")
    audit = task_audit(rt, agent.agent_id)
    guard = ToolGuard(policy_allows(rt), lambda decision, capability, reason: audit(task_id, decision, capability,
                                                                                    reason),
                      StoreDedup(rt.store), tool_approvals(rt))

    def emit(chunk):
        streams.tell(StreamChunk(task_id, "run", chunk))

    context = ToolContext(task_id, str(uuid.uuid4()), agent.agent_id, emit)
    (rt.home / "workspace" / "bench.md").write_text("a note to read\n")
    direct, guarded, n = [], [], 0
    before = store_stats(daemon)
    while len(guarded) < calls:
        for path in ("direct", "guarded"):
            for _ in range(BLOCK):
                n += 1  # distinct arguments: every guarded side-effecting call is a new dedup key
                arguments = ({"path": "bench.md"} if tool_name == "memory_read"
                             else {"path": f"notes/n{n % 50}.md", "content": f"note {n}\n"})
                started = time.perf_counter()
                if path == "direct":
                    tool.run(arguments, context)
                    direct.append(time.perf_counter() - started)
                else:
                    emit({"type": "tool_call", "tool_name": tool_name})
                    guarded_call(ToolCall(f"c{n}", tool_name, arguments), tools, guard, context)
                    guarded.append(time.perf_counter() - started)
    gevent.sleep(0.05)  # let the last unawaited writes commit
    after = store_stats(daemon)
    commits = after["batches"] - before["batches"]
    return {"direct": statistics.median(direct), "guarded": statistics.median(guarded),
            "direct_mean": statistics.fmean(direct), "guarded_mean": statistics.fmean(guarded),
            "commits_per_call": commits / len(guarded),
            "commit_s": (after["commit_seconds"] - before["commit_seconds"]) / max(1, commits)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="calls per path and tool (default 500)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_tools-", dir=os.environ.get("BENCH_DIR")) as tmp:
        daemon = start_daemon(Path(tmp))
        try:
            for tool_name, kind in (("memory_read", "read-only"), ("memory_write", "side-effecting")):
                measure(daemon, tool_name, BLOCK * 2)  # warm-up (imports, first validator, caches)
                m = measure(daemon, tool_name, args.calls)
                added = m["guarded"] - m["direct"]
                commits = m["commits_per_call"] * m["commit_s"]
                rest = m["guarded_mean"] - m["direct_mean"] - commits
                print(f"{tool_name:<13} ({kind}): direct {m['direct'] * 1000:6.3f} ms, tool path "
                      f"{m['guarded'] * 1000:6.3f} ms per call (medians): {added * 1000:6.3f} ms added "
                      f"(target <= 1 ms)")
                print(f"{'':<13}   mean added {(m['guarded_mean'] - m['direct_mean']) * 1000:.3f} ms = "
                      f"{m['commits_per_call']:.2f} store commits x {m['commit_s'] * 1000:.3f} ms "
                      f"+ {rest * 1000:.3f} ms of everything else")
        finally:
            daemon.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
