"""Gateway benchmark: the daemon's OpenAI API against calling its upstream directly, stream first-chunk
time, ACP replay of 1,000 events, and many concurrent SSE streams held open.

The daemon runs as a real subprocess (`goclaw daemon`) whose `openai` provider points at a fake
Chat Completions server in this process; the baseline calls that fake server with the same client.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402
import websocket  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from goclaw_actors.http.server import NoDelayWSGIServer  # noqa: E402

from bench_daemon import free_port, spawn_daemon  # noqa: E402  (scripts/ is on the path when run as a script)
TOKEN = "bench-token"
UPSTREAM_REPLY = {"id": "chatcmpl-up", "object": "chat.completion", "model": "gpt-bench",
                  "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"}, "finish_reason": "stop"}],
                  "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}


def fake_upstream(environ, start_response):
    """A minimal Chat Completions server: JSON or SSE depending on `stream`."""
    body = json.loads(environ["wsgi.input"].read() or b"{}")
    if body.get("stream"):
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        chunk = {"object": "chat.completion.chunk", "model": "gpt-bench",
                 "choices": [{"index": 0, "delta": {"content": "pong"}, "finish_reason": None}]}
        return [f"data: {json.dumps(chunk)}\n\n".encode(), b"data: [DONE]\n\n"]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(UPSTREAM_REPLY).encode()]


def start_daemon(home: Path, upstream: str, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    home.mkdir(parents=True)
    (home / "config.yaml").write_text("agents: []\nworker_count: 8\nmax_queue_depth: 0\nlog_level: warn\n")
    proc, url, _ = spawn_daemon(home, {"GOCLAW_AUTH_TOKEN": TOKEN, "OPENAI_API_KEY": "sk-bench-0123456789abcdef",
                                       "OPENAI_BASE_URL": upstream, **(extra_env or {})}, keep_keys=False)
    return proc, url


def timed_posts(url: str, headers: dict[str, str], count: int, concurrency: int) -> tuple[list[float], float]:
    """Latencies (ms) of `count` chat completions with `concurrency` clients, and requests/s."""
    body = {"model": "gpt-bench", "messages": [{"role": "user", "content": "ping"}]}
    latencies: list[float] = []

    def client(n: int):
        session = requests.Session()
        for _ in range(n):
            started = time.perf_counter()
            response = session.post(url, json=body, headers=headers, timeout=30)
            response.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    gevent.joinall([gevent.spawn(client, count // concurrency) for _ in range(concurrency)], raise_error=True)
    return latencies, len(latencies) / (time.perf_counter() - started)


def first_chunk_ms(url: str, headers: dict[str, str], runs: int) -> float:
    """Median time from request to the first content chunk of a streamed completion."""
    body = {"model": "gpt-bench", "stream": True, "messages": [{"role": "user", "content": "ping"}]}
    times = []
    session = requests.Session()
    for _ in range(runs):
        started = time.perf_counter()
        with session.post(url, json=body, headers=headers, stream=True, timeout=30) as response:
            for line in response.iter_lines():
                if line.startswith(b"data: {") and b'"content": "p' in line.replace(b'":"', b'": "'):
                    times.append((time.perf_counter() - started) * 1000)
                    break
            for _ in response.iter_lines():
                pass
    return statistics.median(times)


def acp_replay_ms(url: str, db_path: Path, events: int) -> float:
    """Time for session.events.subscribe to replay `events` committed events of one session."""
    session_id = str(uuid.uuid4())
    now = "2026-01-01 00:00:00.000000"
    with sqlite3.connect(db_path, timeout=10) as conn:
        conn.execute("INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)", (session_id, now, now))
        conn.executemany(
            "INSERT INTO task_events (task_id, session_id, run_id, trace_id, event_type, state_from, state_to, "
            "payload_json, created_at) VALUES (?, ?, '', ?, 'task.enqueued', NULL, 'QUEUED', '{}', ?)",
            [(f"bench-{i}", session_id, session_id, now) for i in range(events)])
    ws = websocket.create_connection(url.replace("http", "ws") + "/ws", header=[f"Authorization: Bearer {TOKEN}"])
    try:
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "system.hello", "params": {}}))
        ws.recv()
        started = time.perf_counter()
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "session.events.subscribe",
                            "params": {"session_id": session_id, "from_event_id": 0}}))
        received = 0
        while True:
            message = json.loads(ws.recv())
            if message.get("id") == 2:
                if "error" in message:
                    raise RuntimeError(f"replay failed: {message['error']}")
                break
            received += 1
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        ws.close()
    if received != events:
        raise RuntimeError(f"replayed {received} of {events} events")
    return elapsed


def hold_streams(url: str, db_path: Path, pid: int, count: int) -> tuple[int, float, float]:
    """Open `count` SSE task streams on one long-running task; returns (open, daemon RSS MB before, after)."""
    with sqlite3.connect(db_path, timeout=10) as conn:  # a task that stays queued: its streams wait
        conn.execute("INSERT INTO agents (agent_id, status, created_at, updated_at) VALUES "
                     "('idle', 'active', '2026-01-01', '2026-01-01') ON CONFLICT DO NOTHING")
        held_task = str(uuid.uuid4())
        conn.execute("INSERT INTO sessions (id, created_at, updated_at) VALUES (?, '2026-01-01', '2026-01-01')",
                     (held_task,))
        conn.execute("INSERT INTO tasks (id, session_id, agent_id, type, status, priority, attempt, max_attempts, "
                     "available_at, payload, created_at, updated_at) VALUES (?, ?, 'idle', 'chat', 'QUEUED', 0, 0, "
                     "3, '2026-01-01', '{\"content\":\"x\"}', '2026-01-01', '2026-01-01')", (held_task, held_task))
    host, port = url.removeprefix("http://").split(":")
    rss_before = psutil.Process(pid).memory_info().rss / 2**20
    request = (f"GET /api/v1/task/stream?task_id={held_task} HTTP/1.1\r\nHost: {host}\r\n"
               f"Authorization: Bearer {TOKEN}\r\n\r\n").encode()
    sockets = []

    def open_one():
        sock = socket.create_connection((host, int(port)), timeout=30)
        sock.sendall(request)
        head = b""
        while b"\r\n\r\n" not in head:
            data = sock.recv(4096)
            if not data:
                raise RuntimeError("stream closed")
            head += data
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head[:80])
        sockets.append(sock)

    pool = gevent.pool.Pool(200)
    for _ in range(count):
        pool.spawn(open_one)
    pool.join(raise_error=True)
    time.sleep(1)
    rss_after = psutil.Process(pid).memory_info().rss / 2**20
    alive = requests.get(url + "/healthz", timeout=5).status_code == 200
    for sock in sockets:
        sock.close()
    if not alive:
        raise RuntimeError("daemon unhealthy while holding streams")
    return len(sockets), rss_before, rss_after


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800, help="chat completions per measurement (default 800)")
    parser.add_argument("--concurrency", type=int, default=16, help="clients for the throughput run (default 16)")
    parser.add_argument("--streams", type=int, default=2000, help="SSE streams held at once (default 2000)")
    args = parser.parse_args()
    upstream_port = free_port()
    upstream = NoDelayWSGIServer(("127.0.0.1", upstream_port), fake_upstream, log=None)  # no Nagle stalls
    upstream.start()
    upstream_url = f"http://127.0.0.1:{upstream_port}/v1"
    with tempfile.TemporaryDirectory(prefix="bench_gateway-") as tmp:
        proc, url = start_daemon(Path(tmp) / "home", upstream_url)
        try:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            timed_posts(url + "/v1/chat/completions", headers, 40, 4)  # warm both paths
            timed_posts(upstream_url + "/chat/completions", {}, 40, 4)
            base_lat, _ = timed_posts(upstream_url + "/chat/completions", {}, args.requests // 2, 1)
            lat, _ = timed_posts(url + "/v1/chat/completions", headers, args.requests // 2, 1)
            base_loaded, base_rps = timed_posts(upstream_url + "/chat/completions", {}, args.requests,
                                                args.concurrency)
            loaded, rps = timed_posts(url + "/v1/chat/completions", headers, args.requests, args.concurrency)
            p50, p95 = statistics.median(lat), statistics.quantiles(lat, n=20)[-1]
            b50, b95 = statistics.median(base_lat), statistics.quantiles(base_lat, n=20)[-1]
            l50, l99 = statistics.median(loaded), statistics.quantiles(loaded, n=100)[-1]
            bl50, bl99 = statistics.median(base_loaded), statistics.quantiles(base_loaded, n=100)[-1]
            print(f"upstream  direct, 1 client:   p50 {b50:6.2f} ms  p95 {b95:6.2f} ms")
            print(f"daemon    /v1 (durable), 1 client: p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
            print(f"added     p50 {p50 - b50:.2f} ms at one client (target <= 3 ms)")
            print(f"upstream  direct, {args.concurrency} clients:  {base_rps:7.0f} req/s  p50 {bl50:6.2f} ms  "
                  f"p99 {bl99:6.2f} ms")
            print(f"daemon    /v1, {args.concurrency} clients:     {rps:7.0f} req/s  p50 {l50:6.2f} ms  "
                  f"p99 {l99:6.2f} ms = {l99 / l50:.1f}x p50 (target <= 3x)")
            print(f"ratio     /v1 / upstream: {rps / base_rps:.0%} of the upstream's req/s (target >= 35%)")
            print(f"stream    first chunk: median {first_chunk_ms(url + '/v1/chat/completions', headers, 30):.2f} ms")
            db_path = Path(tmp) / "home" / "goclaw.db"
            print(f"acp       replay of 1000 events: {acp_replay_ms(url, db_path, 1000):.1f} ms (target <= 100 ms)")
            held, before, after = hold_streams(url, db_path, proc.pid, args.streams)
            print(f"sse       {held} streams held: daemon RSS {before:.1f} -> {after:.1f} MB (target <= 200 MB)")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            upstream.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
