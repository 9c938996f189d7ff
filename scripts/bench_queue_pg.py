"""Queue benchmark on PostgreSQL (`bench_queue --backend postgres`): no-op tasks/s through 1, 2, 4 … real
`goclaw daemon` processes sharing one database, and claim latency under that load.

A throwaway server (initdb + pg_ctl, fsync and synchronous commit ON) is started for the run. For each daemon
count: a fresh database, the daemons started on it (4 workers each, no-op processor), then N tasks released
at once (enqueued not yet due, then made due in one statement that announces their `task.enqueued` events
as another daemon's commit would, so enqueueing is not timed but lanes wake as in use); the clock stops
when every task has SUCCEEDED. Meanwhile this process claims tasks of a lane-less agent, one transaction per
claim, to time claims under the load (SQL claim latency, FOR UPDATE SKIP LOCKED)."""

import os
import statistics
import time
import uuid
from pathlib import Path

import psycopg

from bench_daemon import spawn_daemon  # scripts/ is on the path when run as a script
from bench_store import in_transaction
from goclaw_actors.store.pg_database import open_postgres
from goclaw_actors.store.pg_queue import EVENTS_CHANNEL, notify_payloads
from goclaw_actors.timeutil import db_now
from tests.pg_server import PgServer, unavailable

WORKERS = 4
CONFIG = ("agents: []\nworker_count: {workers}\nmax_queue_depth: 0\nbind_addr: 127.0.0.1:0\nlog_level: warn\n"
          "llm:\n  provider: none\n")
LATER = "2999-01-01 00:00:00.000000"
PROBES = 300


def _load(conn, count: int) -> None:
    """`count` QUEUED tasks for `default`, not yet due; 200 for the probe agent."""
    for start in range(0, count, 500):
        in_transaction(conn, lambda q: [q.enqueue(str(uuid.uuid4()), {"content": f"task {i}"})
                                      for i in range(start, min(count, start + 500))])
    conn.execute("UPDATE tasks SET available_at = ? WHERE status = 'QUEUED'", (LATER,))
    in_transaction(conn, lambda q: q.upsert_agent("probe", {"max_queue_depth": 0}))
    in_transaction(conn, lambda q: [q.enqueue(str(uuid.uuid4()), {"content": f"probe {i}"}, agent_id="probe")
                                  for i in range(PROBES)])


def run(server: PgServer, workdir: Path, daemons: int, count: int) -> dict:
    """One measurement with `daemons` daemon processes on a fresh database."""
    name = f"bench_{daemons}_{uuid.uuid4().hex[:6]}"
    dsn = server.create_database(name)
    conn = open_postgres(dsn)
    in_transaction(conn, lambda q: q.upsert_agent("default", {"max_queue_depth": 0, "worker_count": WORKERS}))
    procs = []
    try:
        env = {"GOCLAW_STORAGE_BACKEND": "postgres", "GOCLAW_POSTGRES_DSN": dsn}
        for index in range(daemons):
            home = workdir / f"{name}-{index}"
            home.mkdir()
            (home / "config.yaml").write_text(CONFIG.format(workers=WORKERS))
            procs.append(spawn_daemon(home, env, keep_keys=False)[0])
        _load(conn, count)
        claim_ms: list[float] = []
        started = time.perf_counter()
        conn.execute("BEGIN")  # released as if another daemon had just enqueued them: their events are announced
        conn.execute("UPDATE tasks SET available_at = ? WHERE agent_id = 'default' AND status = 'QUEUED'",
                     (db_now(),))
        ids = [row[0] for row in conn.execute("SELECT e.event_id FROM task_events e JOIN tasks t ON t.id = e.task_id "
                                              "WHERE t.agent_id = 'default' AND e.event_type = 'task.enqueued'")]
        for payload in notify_payloads("bench", ids):
            conn.execute("SELECT pg_notify(?, ?)", (EVENTS_CHANNEL, payload))
        conn.execute("COMMIT")
        done = 0
        while done < count:
            if len(claim_ms) < PROBES:
                t0 = time.perf_counter()
                in_transaction(conn, lambda q: q.claim("probe", 30))
                claim_ms.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.01)
            (done,) = conn.execute("SELECT COUNT(*) FROM tasks WHERE agent_id = 'default' "
                                   "AND status = 'SUCCEEDED'").fetchone()
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        conn.close()
    ordered = sorted(claim_ms)
    return {"tasks_per_s": count / elapsed, "claim_p50_ms": statistics.median(ordered),
            "claim_p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], "probes": len(ordered)}


def main(workdir: Path, daemon_counts: list[int], count: int) -> int:
    """Print tasks/s and claim latency per daemon count, and each count's ratio to one daemon."""
    reason = unavailable()
    if reason:
        print(f"bench_queue --backend postgres: {reason}")
        return 1
    server = PgServer(durable=os.environ.get("BENCH_PG_FSYNC", "1") == "1").start()
    try:
        with psycopg.connect(server.dsn()) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        durability = "fsync on, synchronous_commit on" if server.durable else "fsync OFF (BENCH_PG_FSYNC=0)"
        print(f"postgres  {version}, {durability}; {WORKERS} workers per daemon, no-op tasks")
        first = None
        for daemons in daemon_counts:
            figures = run(server, workdir, daemons, count)
            first = first or figures["tasks_per_s"]
            print(f"daemons {daemons}: {figures['tasks_per_s']:7.0f} tasks/s ({count} tasks, "
                  f"{figures['tasks_per_s'] / first:.2f}x one daemon); claim p50 {figures['claim_p50_ms']:.2f} ms, "
                  f"p95 {figures['claim_p95_ms']:.2f} ms ({figures['probes']} claims under load; target p95 <= 10 ms)")
    finally:
        server.stop()
    return 0
