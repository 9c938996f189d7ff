"""Brain benchmark: embedded tokens/s through the daemon vs raw xllamacpp, warm first-token latency,
and the brain's own overhead per turn against a fake provider.

Run with the model the daemon would use (`--model smollm2`, the default here because ./scripts/test
installs it; `--model qwen2.5-coder-1.5b` once ./scripts/run has installed the Qwen parts).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import requests  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from goclaw_actors.brain.embedded.engine import DEFAULT_CACHE_RAM_MIB, SILENT  # noqa: E402
from goclaw_actors.brain.embedded.model_files import resolve_model_file  # noqa: E402
from goclaw_actors.brain.history_reads import session_history  # noqa: E402
from goclaw_actors.brain.prompt_profile import PromptProfile  # noqa: E402
from goclaw_actors.brain.providers.base import ChatRequest  # noqa: E402
from goclaw_actors.brain.providers.http import Timeouts  # noqa: E402
from goclaw_actors.brain.providers.openai_chat import OpenAIChatProvider  # noqa: E402
from goclaw_actors.brain.turn import BrainProcessor, TurnDeps  # noqa: E402
from goclaw_actors.brain.turn_features import knowledge_prompt  # noqa: E402
from goclaw_actors.http.server import NoDelayWSGIServer  # noqa: E402
from goclaw_actors.store.database import open_database  # noqa: E402
from goclaw_actors.store.knowledge_reads import prompt_knowledge  # noqa: E402
from goclaw_actors.store.sqlite_queue import SqliteQueue  # noqa: E402
from goclaw_actors.store.task_row import TaskRow  # noqa: E402

from bench_daemon import free_port, spawn_daemon  # noqa: E402  (scripts/ is on the path when run as a script)

TOKEN = "bench-token"
PROMPT = "Write a short paragraph about why the sky is blue."


def decode_rate(stamps: list[float], tokens: int | None = None) -> float:
    """Tokens per second between the first and the last streamed piece (`tokens` defaults to one a piece)."""
    tokens = len(stamps) if tokens is None else tokens
    if len(stamps) < 2 or tokens < 3:
        return 0.0
    return (tokens - 1) / (stamps[-1] - stamps[0])


def daemon_stream(url: str, user: str, max_tokens: int) -> tuple[float, list[float], int]:
    """(seconds to the first content chunk, arrival times of the content chunks, completion tokens)."""
    body = {"model": "goclaw-v1", "stream": True, "user": user, "max_tokens": max_tokens, "temperature": 0,
            "stream_options": {"include_usage": True}, "messages": [{"role": "user", "content": PROMPT}]}
    started = time.perf_counter()
    stamps: list[float] = []
    tokens = 0
    with requests.post(url + "/v1/chat/completions", json=body, stream=True, timeout=600,
                       headers={"Authorization": f"Bearer {TOKEN}"}) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith(b"data: {"):
                data = json.loads(line[6:])
                delta = (data.get("choices") or [{}])[0].get("delta") or {}
                if delta.get("content"):
                    stamps.append(time.perf_counter())
                if data.get("usage"):
                    tokens = data["usage"].get("completion_tokens") or tokens
    return stamps[0] - started, stamps, tokens


def through_daemon(model: str, max_tokens: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_brain-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        (home / "config.yaml").write_text(f"agents: []\nworker_count: 1\ndelegation_max_hops: 0\nllm:\n  embedded_model: {model}\n")
        proc, url, _ = spawn_daemon(home, {"GOCLAW_AUTH_TOKEN": TOKEN}, keep_keys=False, timeout=60)
        try:
            daemon_stream(url, "warmup", 8)  # loads the model
            rates = [decode_rate(*daemon_stream(url, f"rate-{i}", max_tokens)[1:]) for i in range(runs)]
            daemon_stream(url, "session", 16)  # first turn of a session
            first_token = daemon_stream(url, "session", 16)[0]  # warm second turn
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    return {"rate": statistics.median(rates), "first_token_s": first_token}


def raw_xllamacpp(model: str, max_tokens: int, runs: int) -> float:
    """Decode tokens/s of xllamacpp's own chat handler with the same model and prompt."""
    import xllamacpp

    with tempfile.TemporaryDirectory() as tmp:
        path = resolve_model_file(model, Path(tmp))
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = 4096
        params.n_parallel = 1
        params.cache_prompt = True  # the same parameters the daemon's engine uses
        params.cache_ram_mib = DEFAULT_CACHE_RAM_MIB
        params.warmup = False
        params.fit_params = False
        params.verbosity = SILENT
        server = xllamacpp.Server(params)
        rates = []
        for i in range(runs + 1):
            stamps: list[float] = []

            def on_chunk(chunk):
                for choice in chunk.get("choices") or ():
                    if (choice.get("delta") or {}).get("content"):
                        stamps.append(time.perf_counter())
                return False

            request = {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": max_tokens,
                       "temperature": 0, "stream": True}
            worker = threading.Thread(target=server.handle_chat_completions, args=(request, on_chunk))
            worker.start()
            worker.join()
            if i:  # the first run warms up
                rates.append(decode_rate(stamps))
        del server
    return statistics.median(rates)


def knowledge_prompt_for(conn) -> Callable[[TaskRow], str]:
    """The system prompt builder the daemon wires (brain_wiring), on `conn`: 10 memories, 2 pins and one
    memory shared by another agent, read every turn, and the per-turn memory write committed (fsync)."""
    queue = SqliteQueue(conn)
    for i in range(10):
        queue.memory_set("default", f"fact{i}", f"value number {i} " * 4)
    queue.pin_add("default", "text", "todo", "buy milk " * 40, 90)
    queue.pin_add("default", "text", "style", "short sentences " * 40, 160)
    queue.memory_set("coder", "lang", "Go")
    queue.share_add("coder", "default", "memory", "lang")
    conn.commit()

    def record(agent_id: str, keys: list[str]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        queue.memory_turn(agent_id, keys)
        conn.execute("COMMIT")

    profile = PromptProfile.for_model("default", "You are a benchmark.", "m", "openai", None)
    return knowledge_prompt(profile, lambda agent_id: prompt_knowledge(conn, agent_id), record)


def brain_overhead(turns: int) -> tuple[float, float, float]:
    """Median ms of a direct provider call, of a whole BrainProcessor turn, and of a turn whose system prompt
    carries core memory, pins and shared knowledge (with its memory write), against a fake server."""
    reply = json.dumps({"id": "x", "object": "chat.completion", "model": "m",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}).encode()

    def fake(environ, start_response):
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [reply]

    port = free_port()
    server = NoDelayWSGIServer(("127.0.0.1", port), fake, log=None)
    server.start()
    provider = OpenAIChatProvider("openai", "m", f"http://127.0.0.1:{port}/v1", "sk-bench-0123456789abcdef",
                                  Timeouts(2, 10))
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "goclaw.db")
        conn = db.connection()
        now = "2026-01-01 00:00:00.000000"
        for i in range(20):
            conn.execute("INSERT INTO messages (session_id, agent_id, role, content, tokens, created_at) VALUES "
                         "('s', 'default', ?, ?, 5, ?)", ("user" if i % 2 == 0 else "assistant", f"m{i}", now))
        conn.commit()
        deps = TurnDeps(model="m", provider_name="openai", call_model=provider.chat,
                        history=lambda session_id, agent_id: session_history(conn, session_id, agent_id),
                        system_prompt=lambda task: "You are a benchmark.")
        brain = BrainProcessor(deps)
        knowing = BrainProcessor(replace(deps, system_prompt=knowledge_prompt_for(conn)))
        task = TaskRow("t", "s", "default", "chat", "RUNNING", 0, 0, 3, {"content": "m18"}, None, None, "l", None,
                       "r", None, "", "", "", None, None, 0, False, None)
        request = ChatRequest(model="m", messages=[{"role": "user", "content": "m18"}])
        direct, turn, knowledge = [], [], []
        for _ in range(turns):
            started = time.perf_counter()
            provider.chat(request)
            direct.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            brain.process(task, lambda chunk: None)
            turn.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            knowing.process(task, lambda chunk: None)
            knowledge.append((time.perf_counter() - started) * 1000)
        db.close()
    server.stop()
    return statistics.median(direct), statistics.median(turn), statistics.median(knowledge)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", help="embedded model setting (default smollm2)")
    parser.add_argument("--max-tokens", type=int, default=128, help="tokens generated per run (default 128)")
    parser.add_argument("--runs", type=int, default=3, help="generation runs per side (default 3)")
    parser.add_argument("--turns", type=int, default=300, help="turns for the overhead measurement (default 300)")
    parser.add_argument("--overhead-only", action="store_true", help="only the per-turn overhead lines")
    args = parser.parse_args()
    direct, turn, knowledge = brain_overhead(args.turns)
    print(f"overhead  brain turn {turn:.2f} ms vs direct provider call {direct:.2f} ms: "
          f"{turn - direct:.2f} ms per turn (target <= 2 ms)")
    print(f"knowledge brain turn with 10 memories, 2 pins, 1 shared memory {knowledge:.2f} ms: "
          f"{knowledge - turn:.2f} ms more (read, blocks, one committed memory write)")
    if args.overhead_only:
        return 0
    daemon = through_daemon(args.model, args.max_tokens, args.runs)
    raw = raw_xllamacpp(args.model, args.max_tokens, args.runs)
    print(f"embedded  {args.model}: raw xllamacpp {raw:.1f} tok/s, through the daemon {daemon['rate']:.1f} tok/s "
          f"= {daemon['rate'] / raw:.0%} (target >= 95%)")
    print(f"latency   first token of a warm second turn: {daemon['first_token_s'] * 1000:.0f} ms (target <= 1000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
