"""Chaos run: the real daemon under a mixed load, killed with SIGKILL K times and restarted, then checked.

    scripts/chaos [--tasks 200] [--kills 10] [--clients 8] [--seed N] [--dir PATH] [--json]

The daemon (`goclaw daemon`, a subprocess) runs two agents (`default`, 4 lanes, and `helper`, 2 lanes) on the
`openai` provider pointed at a fake model in this process (scripts/chaos_provider.py). Clients
(scripts/chaos_load.py) send chats over ACP and /v1 (streaming and not), tool calls with side effects
(write_file, exec, memory_write) and delegations. While they run, the daemon is killed with SIGKILL `--kills`
times at random moments and restarted on the same port. After the last request the daemon drains, is stopped
with SIGTERM (it must exit 0), and scripts/chaos_checks.py reads the database and the workspace: nothing
acknowledged is lost, nothing is stuck, every event chain is legal, every SUCCEEDED task has exactly one stored
reply (the one its client received), and no side effect happened twice under one idempotency key. A side
effect repeated in a task that a kill interrupted is counted apart ("in doubt"): SPEC §3.10 runs a call again
when the crash left its record PENDING (the command may have finished, its SUCCEEDED record not yet committed).
Prints the figures; exits 1 on any violation.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the fake provider server of tests/

from bench_daemon import ROOT, free_port  # noqa: E402
from chaos_checks import TERMINAL, connect, verdict  # noqa: E402
from chaos_load import HELPER, Client, Ledger  # noqa: E402
from chaos_provider import ChaosModel  # noqa: E402
from tests.brain.fake_server import FakeServer  # noqa: E402

TOKEN = "chaos-token-7c1e0b9a4d"
CAPABILITIES = ["tools.read_file", "tools.write_file", "tools.exec", "tools.memory_read", "tools.memory_write",
                "tools.delegate_task", "tools.delegate_task_async", "acp.read", "acp.mutate"]
PROVIDER_KEYS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY",
                 "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")


def write_home(home: Path, provider_url: str) -> dict[str, str]:
    """config.yaml and policy.yaml of the chaos home; returns the daemon's environment."""
    home.mkdir(parents=True, exist_ok=True)
    config = {"worker_count": 4, "delegation_max_hops": 1, "delegation_timeout_seconds": 120,
              "llm": {"provider": "openai"}, "drain_timeout_seconds": 10,
              "agents": [{"agent_id": HELPER, "soul": "You are helper.", "worker_count": 2}]}
    policy = {"allow_capabilities": CAPABILITIES, "allow_domains": ["localhost"], "allow_loopback": True}
    (home / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (home / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    return {"OPENAI_API_KEY": "sk-chaos-0123456789abcdef", "OPENAI_BASE_URL": provider_url + "/v1",
            "GOCLAW_AUTH_TOKEN": TOKEN}


class Daemon:
    """`goclaw daemon` on a fixed port, restartable; its output is appended to daemon.log."""

    def __init__(self, home: Path, port: int, env: dict[str, str]):
        inherited = {k: v for k, v in os.environ.items() if k not in PROVIDER_KEYS}
        self.env = {**inherited, "GOCLAW_HOME": str(home), "GOCLAW_BIND_ADDR": f"127.0.0.1:{port}",
                    "GOCLAW_NO_TUI": "1", "PYTHONUNBUFFERED": "1", **env}
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(home.parent / "daemon.log", "ab")
        self.proc: subprocess.Popen | None = None
        self.restart_seconds: list[float] = []

    def start(self, timeout: float = 60.0) -> None:
        """Start and wait for /healthz."""
        started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "supervisors.cli", "daemon"], cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    self.restart_seconds.append(time.monotonic() - started)
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.proc.returncode} while starting (see daemon.log)")
            if time.monotonic() - started > timeout:
                raise RuntimeError("daemon did not become healthy (see daemon.log)")
            time.sleep(0.01)

    def kill9(self) -> None:
        """SIGKILL and reap."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self, timeout: float = 60.0) -> int | None:
        """SIGTERM; the exit status, or None (then killed) if it did not exit in time."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None


def kill_points(tasks: int, kills: int, rng: random.Random) -> list[int]:
    """The acknowledged-request counts at which to kill: spread over the run, jittered."""
    step = tasks / (kills + 1)
    return sorted(max(1, int(step * (i + 1) + rng.uniform(-step / 3, step / 3))) for i in range(kills))


def wait_terminal(db_path: Path, timeout: float) -> bool:
    """Poll until every task is terminal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connect(db_path) as conn:
            open_tasks = conn.execute("SELECT COUNT(*) FROM tasks WHERE status NOT IN (%s)"
                                      % ",".join("?" * len(TERMINAL)), sorted(TERMINAL)).fetchone()[0]
        if open_tasks == 0:
            return True
        time.sleep(0.2)
    return False


def run(args: argparse.Namespace) -> dict:
    """One chaos run; returns the report."""
    rng = random.Random(args.seed)
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="goclaw-chaos-"))
    home = base / "home"
    started = time.monotonic()
    with FakeServer(handler=ChaosModel(args.model_delay, args.seed)) as provider:
        daemon = Daemon(home, free_port(), write_home(home, provider.url))
        daemon.start()
        ledger = Ledger(args.tasks)
        port = int(daemon.url.rsplit(":", 1)[1])
        clients = [Client(i, port, TOKEN, ledger, rng.randrange(1 << 30)) for i in range(args.clients)]
        threads = [threading.Thread(target=client.run, daemon=True) for client in clients]
        for thread in threads:
            thread.start()
        kills = 0
        for point in kill_points(args.tasks, args.kills, rng):
            while len(ledger.acked) < point and any(thread.is_alive() for thread in threads):
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.05))
            daemon.kill9()
            kills += 1
            daemon.start()
        for thread in threads:
            thread.join()
        drained = wait_terminal(home / "goclaw.db", args.drain_timeout)
        exit_code = daemon.terminate()
    report = verdict(home / "goclaw.db", home / "workspace", ledger.acked, ledger.seen)
    if not drained:
        report["violations"]["stuck"].insert(0, f"stuck: tasks still open {args.drain_timeout:g}s after the load")
    if exit_code != 0:
        report["violations"]["stuck"].insert(0, f"stuck: the final SIGTERM ended the daemon with {exit_code}")
    report["violations"]["client"] = ledger.errors
    restarts = daemon.restart_seconds[1:]
    report.update({"acked": len(ledger.acked), "kills": kills, "by_kind": ledger.by_kind,
                   "failed_requests": ledger.failed_requests, "model_requests": len(provider.seen),
                   "restart_p50_s": round(sorted(restarts)[len(restarts) // 2], 3) if restarts else None,
                   "elapsed_s": round(time.monotonic() - started, 1), "dir": str(base)})
    if not args.dir and not args.keep and not any(report["violations"].values()):
        shutil.rmtree(base, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Exit status: 0 when every check held, 1 on any violation.")
    parser.add_argument("--tasks", type=int, default=200, help="client requests to get acknowledged (200)")
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs during the load (10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (8)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    parser.add_argument("--model-delay", type=float, default=0.1, help="max seconds the fake model waits (0.1)")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="seconds for the final drain (120)")
    parser.add_argument("--dir", help="run directory (kept); default a temporary one, removed after a clean run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary run directory")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    if args.tasks < 1 or args.kills < 0 or args.clients < 1:
        parser.error("--tasks and --clients must be >= 1, --kills >= 0")
    report = run(args)
    violations = report["violations"]
    counts = {name: len(found) for name, found in violations.items()}
    if args.json:
        print(json.dumps({**report, "counts": counts}, indent=2))
    else:
        print(f"chaos: seed={args.seed} tasks={report['tasks']} acked={report['acked']} kills={report['kills']} "
              f"lost={counts['lost']} stuck={counts['stuck']} illegal={counts['illegal']} "
              f"duplicates={counts['duplicates']} client_errors={counts['client']} dead={report['dead']} "
              f"interrupted={report['interrupted']} in_doubt_reruns={len(report['in_doubt_reruns'])} "
              f"elapsed={report['elapsed_s']}s restart_p50={report['restart_p50_s']}s")
        print(f"chaos: by status {report['by_status']}; by kind {report['by_kind']}; "
              f"failed requests {report['failed_requests']}; model requests {report['model_requests']}")
        for problem in ([p for found in violations.values() for p in found] + report["in_doubt_reruns"])[:30]:
            print("  " + problem)
        if any(violations.values()):
            print(f"chaos: run directory kept: {report['dir']}")
    return 1 if any(violations.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
