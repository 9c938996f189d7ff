"""Queue benchmark: durable no-op tasks/s through the real daemon path, against Huey and a one-commit loop.

Prints, in one run: the baseline (plain sqlite3, one transaction per state change, same SQL), Huey's
SQLite queue with fsync (its own process, 4 thread workers, enqueue then drain), end-to-end tasks/s
through the in-process daemon (store actor group commit on its writer thread, 4 workers, synchronous=FULL)
and the ratios, claim latency p50/p95 under that load, the same with 1,000 / 100,000 / 1,000,000 finished
tasks already in the database, the RSS of a `goclaw daemon` holding 10,000 queued tasks, and cold start of
`goclaw daemon` to /healthz with its idle RSS. Every daemon task runs the no-op fallback processor (the
provider is pinned to `none`, whatever model is installed).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from goclaw_actors.logs.system_log import configure_logging  # noqa: E402
from goclaw_actors.processor import FALLBACK_REPLY, FallbackProcessor  # noqa: E402
from goclaw_actors.store.database import open_database  # noqa: E402
from goclaw_actors.timeutil import db_now  # noqa: E402
from supervisors.daemon import Daemon  # noqa: E402

from bench_daemon import spawn_daemon  # noqa: E402  (scripts/ is on the path when run as a script)
from bench_store import in_transaction  # noqa: E402
from queue_history import add_finished_tasks  # noqa: E402

WORKERS = 4
LEASE = 30.0
CONFIG = ("agents: []\nworker_count: {workers}\nmax_queue_depth: 0\nbind_addr: 127.0.0.1:0\nlog_level: warn\n"
          "llm:\n  provider: none\n")  # the no-op processor, whatever model is installed
QUEUED_TASKS = 10_000
HELD_FOREVER_MS = "3600000"  # lanes hold their first task for an hour: the rest stays queued


def baseline(workdir: Path, count: int) -> float:
    """tasks/s of a plain loop: enqueue, claim, start, succeed, each its own committed transaction."""
    db = open_database(workdir / "baseline.db")
    conn = db.connection()
    in_transaction(conn, lambda q: q.upsert_agent("default", {"max_queue_depth": 0}))
    started = time.perf_counter()
    for i in range(count):
        in_transaction(conn, lambda q: q.enqueue(str(uuid.uuid4()), {"content": f"task {i}"}))
        task = in_transaction(conn, lambda q: q.claim("default", LEASE))
        in_transaction(conn, lambda q: q.start(task.id, task.lease_owner, LEASE))
        in_transaction(conn, lambda q: q.succeed(task.id, task.lease_owner, {"reply": FALLBACK_REPLY},
                                                 metrics={"queue_wait_ms": 0, "run_ms": 0}))
    elapsed = time.perf_counter() - started
    (done,) = conn.execute("SELECT COUNT(*) FROM tasks WHERE status = 'SUCCEEDED'").fetchone()
    assert done == count, f"baseline finished {done} of {count}"
    db.close()
    return count / elapsed


def huey(workdir: Path, count: int) -> float:
    """tasks/s of Huey's SqliteHuey (fsync) in its own process: enqueue `count`, then drain with 4 threads."""
    directory = workdir / "huey"
    directory.mkdir()
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "huey_peer.py"), "--tasks", str(count),
                          "--dir", str(directory)], capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["tasks_per_s"]


def succeeded_since(conn, since: str) -> int:
    """Tasks of `default` created since `since` that succeeded (an index range: cheap however large the table)."""
    return conn.execute("SELECT COUNT(*) FROM tasks WHERE status = 'SUCCEEDED' AND created_at >= ? "
                        "AND agent_id = 'default'", (since,)).fetchone()[0]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def innermost(processor):
    """The processor at the core of its wrappers (chat commands, teams, skills' fast path all keep `inner`)."""
    while hasattr(processor, "inner"):
        processor = processor.inner
    return processor


def make_home(workdir: Path, name: str) -> Path:
    home = workdir / name
    home.mkdir()
    (home / "config.yaml").write_text(CONFIG.format(workers=WORKERS))
    return home


def daemon_path(home: Path, count: int, producers: int) -> dict:
    """Run the daemon on `home` in this process and push `count` no-op tasks through it."""
    daemon = Daemon(home, {"GOCLAW_HOME": str(home)}, home.parent)
    daemon.start()
    configure_logging(home, "warn", to_stdout=False)
    rt = daemon.runtime
    if not isinstance(innermost(rt.processor_for("default")), FallbackProcessor):
        raise SystemExit("bench_queue: the default agent does not run the no-op processor")
    # A lane-less agent whose queue the claim-latency probe drains while the load runs.
    rt.store.agents.upsert_agent(agent_id="probe", fields={"max_queue_depth": 0})
    for i in range(200):
        rt.store.tasks.enqueue(session_id=str(uuid.uuid4()), payload={"content": f"probe {i}"}, agent_id="probe")
    claim_ms: list[float] = []

    def probe():
        while len(claim_ms) < 200:
            t0 = time.perf_counter()
            rt.store.tasks.claim(agent_id="probe", lease_seconds=LEASE)
            claim_ms.append((time.perf_counter() - t0) * 1000)
            gevent.sleep(0.002)

    def produce(n: int):
        for i in range(n):
            rt.store.tasks.enqueue(session_id=str(uuid.uuid4()), payload={"content": f"task {i}"})

    since = db_now()
    batches_before = rt.registry.lookup("store").proxy().stats().get()
    started = time.perf_counter()
    prober = gevent.spawn(probe)
    workers = [gevent.spawn(produce, count // producers) for _ in range(producers)]
    total = (count // producers) * producers
    while rt.reads.run(succeeded_since, since) < total:
        gevent.sleep(0.02)  # polling is a read on its own connection; coarse enough not to load the run
    elapsed = time.perf_counter() - started
    gevent.joinall(workers + [prober], raise_error=True)
    stats = rt.registry.lookup("store").proxy().stats().get()
    daemon.shutdown()
    requests_served = stats["requests"] - batches_before["requests"]
    batches = stats["batches"] - batches_before["batches"]
    return {"tasks_per_s": total / elapsed, "claim_p50_ms": statistics.median(claim_ms),
            "claim_p95_ms": percentile(claim_ms, 0.95), "requests_per_batch": requests_served / max(1, batches),
            "store_busy": (stats["commit_seconds"] - batches_before["commit_seconds"]) / elapsed}


def growth(workdir: Path, sizes: list[int], count: int, producers: int) -> list[tuple[int, dict, float]]:
    """The daemon path on one database holding `size` finished tasks more each time (their history is
    written straight into the file between runs); returns (size, figures, seconds spent filling)."""
    home = make_home(workdir, "growth")
    open_database(home / "goclaw.db").close()
    results, written = [], 0
    for size in sizes:
        fill = add_finished_tasks(home / "goclaw.db", written, size - written)
        written = size
        results.append((size, daemon_path(home, count, producers), fill))
    return results


def queued_rss(workdir: Path, queued: int) -> float:
    """RSS (MB) of `goclaw daemon` (default config) with `queued` tasks waiting, 2 s after it is healthy."""
    home = workdir / "queued"
    home.mkdir()
    db = open_database(home / "goclaw.db")
    conn = db.connection()
    in_transaction(conn, lambda q: q.upsert_agent("default", {"max_queue_depth": 0}))
    in_transaction(conn, lambda q: [q.enqueue(str(uuid.uuid4()), {"content": f"queued {i}"})
                                    for i in range(queued)])
    db.close()
    proc, _, _ = spawn_daemon(home, {"GOCLAW_DEBUG_TASK_DELAY_MS": HELD_FOREVER_MS})
    try:
        time.sleep(2)
        return psutil.Process(proc.pid).memory_info().rss / 2**20
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def cold_start(workdir: Path, runs: int) -> dict:
    """Spawn `goclaw daemon` on a fresh home: seconds to /healthz 200, then idle RSS after 2 s."""
    times, rss = [], []
    for run in range(runs):
        proc, _, seconds = spawn_daemon(workdir / f"cold{run}")
        try:
            times.append(seconds)
            time.sleep(2)
            rss.append(psutil.Process(proc.pid).memory_info().rss / 2**20)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"start_s": statistics.median(times), "start_max_s": max(times), "idle_rss_mb": statistics.median(rss)}


def report_path(label: str, path: dict, count: int, producers: int) -> None:
    print(f"{label:<9} enqueue->claim->run->succeed: {path['tasks_per_s']:9.0f} tasks/s  ({count} tasks, "
          f"{WORKERS} workers, {producers} producers, {path['requests_per_batch']:.1f} writes/commit, "
          f"writer busy {path['store_busy']:.0%} of the time)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=6000, help="tasks per throughput run (default 6000)")
    parser.add_argument("--baseline-tasks", type=int, default=1000, help="tasks in the baseline loop (default 1000)")
    parser.add_argument("--huey-tasks", type=int, default=3000, help="tasks Huey enqueues and drains (default 3000)")
    parser.add_argument("--producers", type=int, default=8, help="concurrent enqueuers (default 8)")
    parser.add_argument("--growth", default="1000,100000,1000000",
                        help="finished tasks in the database for the growth runs (default 1000,100000,1000000; "
                             "'' skips them)")
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time (default 3)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite",
                        help="postgres: several daemon processes on one throwaway PostgreSQL server (see --daemons)")
    parser.add_argument("--daemons", default="1,2,4",
                        help="with --backend postgres: daemon counts to measure, e.g. 1,2,4 (default) or 2")
    args = parser.parse_args()
    if args.backend == "postgres":
        import bench_queue_pg

        counts = [int(n) for n in args.daemons.replace("|", ",").split(",") if n.strip()]
        with tempfile.TemporaryDirectory(prefix="bench_queue_pg-", dir=os.environ.get("BENCH_DIR")) as tmp:
            return bench_queue_pg.main(Path(tmp), counts, args.tasks)
    sizes = [int(size) for size in args.growth.split(",") if size.strip()]
    with tempfile.TemporaryDirectory(prefix="bench_queue-", dir=os.environ.get("BENCH_DIR")) as tmp:
        workdir = Path(tmp)
        base = baseline(workdir, args.baseline_tasks)
        print(f"baseline  one commit per state change:      {base:9.0f} tasks/s  ({args.baseline_tasks} tasks)")
        peer = huey(workdir, args.huey_tasks)
        print(f"huey      SqliteHuey fsync, enqueue then drain: {peer:7.0f} tasks/s  ({args.huey_tasks} tasks, "
              "4 thread workers)")
        path = daemon_path(make_home(workdir, "home"), args.tasks, args.producers)
        report_path("daemon", path, args.tasks, args.producers)
        print(f"ratio     daemon / huey {path['tasks_per_s'] / peer:.1f}x (target >= 4x), daemon / baseline "
              f"{path['tasks_per_s'] / base:.1f}x; target >= 5000 tasks/s")
        print(f"claim     p50 {path['claim_p50_ms']:.2f} ms, p95 {path['claim_p95_ms']:.2f} ms under load "
              "(target p95 <= 5 ms)")
        for size, figures, fill in growth(workdir, sizes, args.tasks, args.producers):
            print(f"growth    {size:>9,} finished tasks: {figures['tasks_per_s']:6.0f} tasks/s, claim p95 "
                  f"{figures['claim_p95_ms']:.2f} ms ({figures['requests_per_batch']:.1f} writes/commit; "
                  f"history written in {fill:.0f} s)")
        print(f"queued    RSS with {QUEUED_TASKS:,} tasks queued: {queued_rss(workdir, QUEUED_TASKS):.1f} MB "
              "(default config; target <= 100 MB)")
        cold = cold_start(workdir, args.starts)
        print(f"start     process spawn to /healthz 200: median {cold['start_s']:.3f} s, max "
              f"{cold['start_max_s']:.3f} s (target <= 0.5 s)")
        print(f"memory    idle RSS {cold['idle_rss_mb']:.1f} MB (default config, 4 agents; target <= 60 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
