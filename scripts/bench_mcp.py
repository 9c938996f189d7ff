"""MCP benchmark: an MCP tool call's round trip through the daemon's MCP client against the same call made with
the bare `mcp` SDK in plain asyncio, in the same run, over stdio and streamable HTTP.

The server is the real @modelcontextprotocol/server-everything (`echo`). The bare SDK runs in a child process
without gevent (`Client(..., mode="auto")`, one loop, calls awaited back to back). For stdio, a second child
speaks newline-delimited JSON-RPC to the server's pipes directly on gevent: what a hand-written client
without the SDK could reach. The daemon runs in this
process (real store, policy, McpClient actor, asyncio greenlet); **client** is the MCP tool an agent gets
(`McpToolSource`: the McpClient's live session, the call submitted to the asyncio greenlet, the result as
text); **tool path** is the same call the way an agent's turn makes it (`guarded_call`: capability and MCP
rule, schema, dedup row written before and after, audit). The medians come from blocks alternating between
the two. A greenlet ticking every millisecond records how late the hub ran it while idle (the machine's own
noise), during client calls made alone before the alternating blocks, and during tool-path blocks.
"""

import sys

BARE = "--bare" in sys.argv
if not BARE or "--jsonrpc" in sys.argv:
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVERYTHING_JS = ROOT / ".mcp-servers/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
BLOCK = 25  # calls per block; blocks alternate between the client and the tool path
WARMUP = 50


def server_entry(transport: str, url: str) -> dict:
    """The config entry (and the bare SDK's target) for a transport."""
    if transport == "stdio":
        return {"name": "everything", "command": "node", "args": [str(EVERYTHING_JS), "stdio"]}
    return {"name": "everything", "url": url}


def bare(transport: str, url: str, calls: int) -> None:
    """The bare SDK in plain asyncio: prints the per-call seconds as JSON."""
    import asyncio

    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    entry = server_entry(transport, url)
    target = (StdioServerParameters(command=entry["command"], args=entry["args"]) if transport == "stdio"
              else entry["url"])

    async def run() -> list[float]:
        async with Client(target, mode="auto", cache=None) as client:
            times = []
            for index in range(WARMUP + calls):
                started = time.perf_counter()
                await client.call_tool("echo", {"message": f"m{index}"})
                times.append(time.perf_counter() - started)
            return times[WARMUP:]

    print(json.dumps(asyncio.run(run())))


def bare_jsonrpc(calls: int) -> None:
    """No SDK: newline-delimited JSON-RPC written to the stdio server's pipes by gevent (the floor a hand-written
    client could reach); prints the per-call seconds as JSON."""
    entry = server_entry("stdio", "")
    server = subprocess.Popen([entry["command"], *entry["args"]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)

    def rpc(request_id: int, method: str, params: dict) -> dict:
        server.stdin.write((json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                                        "params": params}) + "\n").encode())
        server.stdin.flush()
        while True:
            message = json.loads(server.stdout.readline())
            if message.get("id") == request_id:
                return message

    rpc(0, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                          "clientInfo": {"name": "bench", "version": "1"}})
    server.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    times = []
    for index in range(1, WARMUP + calls + 1):
        started = time.perf_counter()
        rpc(index, "tools/call", {"name": "echo", "arguments": {"message": f"m{index}"}})
        times.append(time.perf_counter() - started)
    server.kill()
    print(json.dumps(times[WARMUP:]))


def run_bare(transport: str, url: str, calls: int, jsonrpc: bool = False) -> list[float]:
    """The bare SDK's per-call seconds (or, with `jsonrpc`, hand-written JSON-RPC's), measured in a child
    process (the SDK one without gevent)."""
    out = subprocess.run([sys.executable, __file__, "--bare", "--transport", transport, "--url", url,
                          "--calls", str(calls), *(["--jsonrpc"] if jsonrpc else [])],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_daemon(workdir: Path, entry: dict):
    """The daemon in this process with one global MCP server and a policy allowing its tools."""
    import yaml

    from goclaw_actors.logs.system_log import configure_logging
    from supervisors.daemon import Daemon

    home = workdir / "home"
    home.mkdir(parents=True)
    config = {"agents": [], "worker_count": 1, "delegation_max_hops": 0, "bind_addr": "127.0.0.1:0",
              "log_level": "warn",
              "mcp": {"servers": [entry]}}
    (home / "config.yaml").write_text(yaml.safe_dump(config))
    (home / "policy.yaml").write_text("allow_capabilities: [tools.mcp]\nmcp: {default: allow}\n")
    daemon = Daemon(home, {**os.environ, "GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": "bench"}, workdir)
    daemon.start()
    configure_logging(home, "warn", to_stdout=False)
    return daemon


def run_daemon(daemon, calls: int) -> dict[str, list[float] | float]:
    """Per-call seconds of the daemon's MCP client and of the whole tool path, and how late a ticker ran."""
    import gevent

    from goclaw_actors.brain.providers.base import ToolCall
    from goclaw_actors.brain.tools import ToolContext
    from goclaw_actors.tools.guarded_call import ToolGuard, guarded_call
    from supervisors.tool_wiring import StoreDedup, agent_tools, policy_allows, task_audit, tool_approvals

    rt = daemon.runtime
    agent = rt.agent_config("default")
    tools = agent_tools(rt, agent, rt.config, rt.home, rt.environ)
    deadline = time.monotonic() + 30
    while tools.get("mcp_everything_echo") is None:
        if time.monotonic() > deadline:
            raise SystemExit("the daemon's MCP server did not come up")
        gevent.sleep(0.05)
    task_id = str(uuid.uuid4())
    audit = task_audit(rt, agent.agent_id)
    guard = ToolGuard(policy_allows(rt), lambda decision, capability, reason: audit(task_id, decision, capability,
                                                                                    reason),
                      StoreDedup(rt.store), tool_approvals(rt))
    context = ToolContext(task_id, str(uuid.uuid4()), agent.agent_id)
    gaps: dict[str, list[float]] = {"idle": [], "client": [], "path": [], "mixed": []}
    phase = ["idle"]

    def ticker() -> None:
        last = time.perf_counter()
        while True:
            gevent.sleep(0.001)
            now = time.perf_counter()
            gaps[phase[0]].append(now - last - 0.001)
            last = now

    client, path, n = [], [], 0
    for _ in range(WARMUP):
        n += 1
        tools.get("mcp_everything_echo").run({"message": f"w{n}"}, context)
    watch = gevent.spawn(ticker)
    gevent.sleep(1.0)  # the same ticker with nothing to do: how often this machine runs it late anyway
    try:
        phase[0] = "client"  # client calls alone first: no store commits of the tool path in between
        for _ in range(calls):
            n += 1
            tools.get("mcp_everything_echo").run({"message": f"a{n}"}, context)
        phase[0] = "mixed"
        while len(path) < calls:
            for kind in ("client", "path"):
                phase[0] = "path" if kind == "path" else "mixed"
                for _ in range(BLOCK):
                    n += 1  # new arguments each time: every tool-path call is a new dedup key
                    arguments = {"message": f"m{n}"}
                    started = time.perf_counter()
                    if kind == "client":
                        tools.get("mcp_everything_echo").run(arguments, context)
                        client.append(time.perf_counter() - started)
                    else:
                        guarded_call(ToolCall(f"c{n}", "mcp_everything_echo", arguments), tools, guard, context)
                        path.append(time.perf_counter() - started)
    finally:
        watch.kill()
    return {"client": client, "path": path, "gaps": gaps}


def measure(transport: str, calls: int, workdir: Path) -> None:
    """One transport: the bare SDK, then the daemon's client and tool path; prints the comparison."""
    server = None
    url = ""
    if transport == "streamable-http":
        from tests.helpers import free_port

        port = free_port()
        url = f"http://127.0.0.1:{port}/mcp"
        server = subprocess.Popen(["node", str(EVERYTHING_JS), "streamableHttp"], env={**os.environ, "PORT": str(port)},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    try:
        base = statistics.median(run_bare(transport, url, calls))
        floor = statistics.median(run_bare(transport, url, calls, jsonrpc=True)) if transport == "stdio" else None
        daemon = start_daemon(workdir / transport, server_entry(transport, url))
        try:
            result = run_daemon(daemon, calls)
        finally:
            daemon.shutdown()
    finally:
        if server is not None:
            server.kill()
            server.wait()
    client, path = statistics.median(result["client"]), statistics.median(result["path"])
    print(f"{transport:<15}: bare SDK {base * 1000:6.3f} ms, daemon's MCP client {client * 1000:6.3f} ms per call "
          f"(medians): {(client - base) * 1000:6.3f} ms added (target <= 2 ms)")
    if floor is not None:
        print(f"{'':<15}  hand-written JSON-RPC on gevent pipes, no SDK: {floor * 1000:6.3f} ms")
    print(f"{'':<15}  tool path (policy, MCP rule, schema, dedup, audit) {path * 1000:6.3f} ms: "
          f"{(path - base) * 1000:6.3f} ms added")
    print(f"{'':<15}  a 1 ms ticker greenlet ran late by (p99 / max): " + ", ".join(
        f"{phase} {_p99(gaps) * 1000:.2f} / {max(gaps) * 1000:.2f} ms" for phase, gaps in result["gaps"].items()
        if phase != "mixed"))


def _p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99)] if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="calls per path and transport (default 500)")
    parser.add_argument("--transport", choices=("stdio", "streamable-http"), action="append",
                        help="measure only this transport (repeatable; default both)")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--jsonrpc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not EVERYTHING_JS.exists():
        raise SystemExit(f"{EVERYTHING_JS} is missing: run ./scripts/bench_mcp (it installs it)")
    if args.bare:
        (bare_jsonrpc(args.calls) if args.jsonrpc else bare(args.transport[0], args.url, args.calls))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_mcp-", dir=os.environ.get("BENCH_DIR")) as tmp:
        for transport in args.transport or ["stdio", "streamable-http"]:
            measure(transport, args.calls, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
