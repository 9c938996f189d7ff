"""OpenTelemetry benchmark: what tracing costs per task, off and on, against baselines in the same run.

1. hooks: the telemetry calls one chat task with a tool call makes on its hot path (request span, attempt
   span, two chat spans, one tool span, the trace context of six store writes), CPU time per task: called
   bare (no telemetry code at all), through the hooks with telemetry off, with tracing on, and with
   tracing and metrics on (the SDK with a batch processor pinned to a no-op exporter, metrics into an
   in-memory reader).
2. daemon: `goclaw daemon` as a process whose model (a fake in this process) calls a tool then answers;
   sequential /v1/chat/completions in rounds cycling through telemetry off, tracing on, tracing and
   metrics on (switched live through config.yaml, exporting OTLP/HTTP to a fake collector in this
   process): request latency and the daemon's CPU time per task (its exporter thread included).
3. export: the longest the gevent hub is held while four full batches are encoded and sent, on the
   exporters' native thread (as the daemon does) and, for comparison, on the hub itself.
4. start and memory: process spawn to /healthz and idle RSS, telemetry off and on.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from goclaw_actors import telemetry  # noqa: E402
from goclaw_actors.brain.providers.base import ChatRequest, ChatResponse, ToolCall, Usage  # noqa: E402
from goclaw_actors.http.server import NoDelayWSGIServer  # noqa: E402
from goclaw_actors.store.task_row import TaskRow  # noqa: E402
from goclaw_actors.telemetry import lifecycle  # noqa: E402
from goclaw_actors.telemetry.settings import TelemetrySettings  # noqa: E402

from bench_daemon import free_port, spawn_daemon  # noqa: E402  (scripts/ is on the path when run as a script)

TOKEN = "bench-otel-token"
STORE_WRITES = 6  # writes on a chat task's path whose request captures the trace context
SPANS_PER_TASK = 5  # request, attempt, two chat calls, one tool call


# 1. hooks ------------------------------------------------------------------------------------------------


class _Provider:
    name, model = "openai", "gpt-bench"

    def chat(self, request, on_token=None):
        return ChatResponse(content="ok", usage=Usage(12, 3, True), finish_reason="stop", model="gpt-bench")


def _wsgi_app(environ, start_response):
    start_response("200 OK", [])
    return [b""]


def _tool(call, *args):
    return "ok"


def one_task_bare(task, provider, request, call, environ) -> None:
    """The work the hooks wrap, without them."""
    _wsgi_app(environ, lambda status, headers, exc_info=None: None)
    provider.chat(request, None)
    _tool(call)
    provider.chat(request, None)


def one_task_hooked(task, provider, request, call, environ) -> None:
    """The same work through the hooks, as the daemon calls them for one task."""
    telemetry.serve_request(_wsgi_app, environ, lambda status, headers, exc_info=None: None)
    for _ in range(STORE_WRITES):
        telemetry.traceparent()
    with telemetry.task_attempt(task):
        telemetry.llm_call(provider, request, None)
        telemetry.tool_call(_tool, call)
        telemetry.llm_call(provider, request, None)


TASK_ARGS = (TaskRow("6f1c1f0e-8c1d-4f43-9f3e-2b0c3b1f9a10", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "default", "chat",
                     "RUNNING", 0, 0, 3, {"content": "x"}, None, None, "lease", None, "run", None, "", "", "", None,
                     None, 0, False, None),
             _Provider(), ChatRequest(model="gpt-bench", messages=[]), ToolCall("call_0", "read_file", {}),
             {"REQUEST_METHOD": "POST", "PATH_INFO": "/v1/chat/completions", "wsgi.url_scheme": "http"})


def per_task_us(fn, count: int) -> float:
    """Median over 5 runs of the CPU microseconds (this process, all threads) `fn` takes per task, yielding to
    the hub between tasks. CPU time, not wall time: the figure holds on a machine busy with other work."""
    args = TASK_ARGS
    runs = []
    for _ in range(5):
        started = time.process_time()
        for index in range(count):
            fn(*args)
            if index % 64 == 0:
                gevent.sleep(0)  # let the batch processor's green thread take its batches
        runs.append((time.process_time() - started) / count * 1e6)
    return statistics.median(runs)


def hooks(count: int) -> dict[str, float]:
    """CPU µs per task: bare, hooks with telemetry off, with tracing on (metrics off), tracing at sample_rate 0.1,
    tracing and metrics (the SDK's batch processor pinned to a no-op exporter, metrics into an in-memory reader)."""
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    telemetry.install(None)
    found = {"bare": per_task_us(one_task_bare, count), "off": per_task_us(one_task_hooked, count)}
    for mode, metrics, rate in (("tracing", False, 1.0), ("sampled", False, 0.1), ("metrics", True, 1.0)):
        backend = lifecycle.build(TelemetrySettings(enabled=True, exporter="none", metrics_enabled=metrics,
                                                    sample_rate=rate),
                                  span_processors=[BatchSpanProcessor(Discard())],
                                  metric_readers=[InMemoryMetricReader()])
        telemetry.install(backend)
        try:
            found[mode] = per_task_us(one_task_hooked, count)
        finally:
            telemetry.install(None)
            backend.shutdown()
    return found


# 2. daemon -----------------------------------------------------------------------------------------------


def fake_model(environ, start_response):
    """Chat Completions: the first turn calls read_file, the turn after the tool result answers."""
    body = json.loads(environ["wsgi.input"].read())
    if body["messages"][-1]["role"] == "tool":
        message = {"role": "assistant", "content": "done"}
        finish = "stop"
    else:
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "read_file",
                                                              "arguments": json.dumps({"path": "notes.txt"})}}]}
        finish = "tool_calls"
    reply = {"id": "x", "object": "chat.completion", "model": "gpt-bench",
             "choices": [{"index": 0, "message": message, "finish_reason": finish}],
             "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(reply).encode()]


def fake_collector(environ, start_response):
    """An OTLP/HTTP receiver that accepts everything."""
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/x-protobuf")])
    return [b""]


def serve(app) -> tuple[NoDelayWSGIServer, str]:
    port = free_port()
    server = NoDelayWSGIServer(("127.0.0.1", port), app, log=None)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def write_config(home: Path, model_url: str, telemetry_section: dict | None) -> None:
    config = {"agents": [], "worker_count": 2, "llm": {"provider": "openai", "openai_model": "gpt-bench"}}
    if telemetry_section:
        config["telemetry"] = telemetry_section
    (home / "config.yaml").write_text(yaml.safe_dump(config))


def wait_for_log(home: Path, message: str, count: int) -> None:
    """Wait until the daemon's log holds `message` `count` times (a live config switch applied)."""
    deadline = time.monotonic() + 10
    while (home / "logs" / "system.jsonl").read_text().count(f'"msg": "{message}"') < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the daemon did not log {message!r}")
        time.sleep(0.01)


MODES = ("off", "tracing", "metrics")  # the daemon's telemetry in each kind of round
SWITCH_LOG = {"off": "telemetry stopped", "tracing": "telemetry started", "metrics": "telemetry reconfigured"}


def daemon_rounds(rounds: int, per_round: int) -> dict[str, dict[str, float]]:
    """Latency p50 (ms) and daemon CPU ms per task (median of the rounds) with telemetry off, tracing on,
    tracing and metrics on (OTLP/HTTP to a collector in this process), in rounds that cycle through the three."""
    model, model_url = serve(fake_model)
    collector, collector_url = serve(fake_collector)
    results = {mode: {"latencies": [], "cpu": []} for mode in MODES}
    try:
        with tempfile.TemporaryDirectory(prefix="bench_otel-") as tmp:
            home = Path(tmp) / "home"
            home.mkdir()
            write_config(home, model_url, None)
            (home / "policy.yaml").write_text(yaml.safe_dump({"allow_capabilities": ["tools.read_file"]}))
            (home / "workspace").mkdir()
            (home / "workspace" / "notes.txt").write_text("notes")
            env = {"GOCLAW_AUTH_TOKEN": TOKEN, "OPENAI_API_KEY": "sk-bench-0123456789abcdef",
                   "OPENAI_BASE_URL": model_url + "/v1"}
            proc, url, _ = spawn_daemon(home, env, keep_keys=False)
            daemon = psutil.Process(proc.pid)
            session = requests.Session()
            body = {"model": "agent:default", "messages": [{"role": "user", "content": "read the notes"}]}
            headers = {"Authorization": f"Bearer {TOKEN}"}
            switches = {mode: 0 for mode in MODES}
            try:
                for round_no in range(rounds * len(MODES)):
                    mode = MODES[round_no % len(MODES)]
                    if round_no:  # switch live, as an operator would
                        write_config(home, model_url, None if mode == "off" else {
                            "enabled": True, "endpoint": collector_url, "metrics_enabled": mode == "metrics"})
                        switches[mode] += 1
                        wait_for_log(home, SWITCH_LOG[mode], switches[mode])
                    for _ in range(10):  # warm-up after the switch
                        session.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=30)
                    cpu = sum(daemon.cpu_times()[:2])
                    for _ in range(per_round):
                        started = time.perf_counter()
                        response = session.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=30)
                        results[mode]["latencies"].append((time.perf_counter() - started) * 1000)
                        if response.json()["choices"][0]["message"]["content"] != "done":
                            raise RuntimeError(f"unexpected reply: {response.text[:200]}")
                    results[mode]["cpu"].append((sum(daemon.cpu_times()[:2]) - cpu) / per_round)
            finally:
                proc.terminate()
                proc.wait(timeout=60)
    finally:
        model.stop()
        collector.stop()
    return {mode: {"p50": statistics.median(r["latencies"]), "cpu_ms": statistics.median(r["cpu"]) * 1000}
            for mode, r in results.items()}


# 3. export -----------------------------------------------------------------------------------------------


def hub_lag_during_export(collector_url: str, off_hub: bool, spans: int = 2048) -> float:
    """The longest (ms) a 2 ms green timer is late while `spans` spans are exported to the collector."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    settings = TelemetrySettings(enabled=True, endpoint=collector_url, metrics_enabled=False)
    if off_hub:
        backend = lifecycle.build(settings)  # as the daemon runs it
    else:
        backend = lifecycle.build(settings, span_processors=[
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.signal_url("traces")))])
    try:
        for index in range(spans):
            backend.tracer.start_span("chat gpt-bench", attributes={
                "goclaw.task.id": f"6f1c1f0e-8c1d-4f43-9f3e-{index:012d}", "gen_ai.request.model": "gpt-bench",
                "gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 12}).end()
        flushing = gevent.spawn(backend.tracer_provider.force_flush)
        worst = 0.0
        while not flushing.ready():
            started = time.perf_counter()
            gevent.sleep(0.002)
            worst = max(worst, time.perf_counter() - started - 0.002)
        flushing.get()
    finally:
        backend.shutdown()
    return worst * 1000


def encoding_us_per_span(spans: int = 512) -> float:
    """CPU µs the OTLP exporter spends encoding one span of a task (attributes as the daemon sets them)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    backend = lifecycle.build(TelemetrySettings(enabled=True, exporter="none", metrics_enabled=False),
                              span_processors=[SimpleSpanProcessor(memory)])
    telemetry.install(backend)
    try:
        for _ in range(spans // 5):
            one_task_hooked(*TASK_ARGS)
    finally:
        telemetry.install(None)
        backend.shutdown()
    finished = memory.get_finished_spans()
    started = time.process_time()
    for _ in range(5):
        encode_spans(finished).SerializeToString()
    return (time.process_time() - started) / 5 / len(finished) * 1e6


# 4. start and memory -------------------------------------------------------------------------------------


def start_and_memory(workdir: Path, collector_url: str, runs: int) -> dict[str, dict[str, float]]:
    """Spawn to /healthz (s) and RSS after 2 s idle (MB) of a first-run home (default config), telemetry off,
    and of the same with telemetry on (OTLP/HTTP); runs alternate."""
    found: dict[str, dict[str, list[float]]] = {"off": {"start": [], "rss": []}, "on": {"start": [], "rss": []}}
    for run in range(runs * 2):
        mode = "on" if run % 2 else "off"
        home = workdir / f"start{run}"
        if mode == "on":
            home.mkdir()
            (home / "config.yaml").write_text(yaml.safe_dump({"telemetry": {"enabled": True, "endpoint": collector_url}}))
        proc, _, seconds = spawn_daemon(home)
        try:
            time.sleep(2)
            found[mode]["start"].append(seconds)
            found[mode]["rss"].append(psutil.Process(proc.pid).memory_info().rss / 2**20)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {mode: {name: statistics.median(values) for name, values in measured.items()}
            for mode, measured in found.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hook-tasks", type=int, default=3000, help="tasks per hooks measurement (default 3000)")
    parser.add_argument("--rounds", type=int, default=8, help="daemon rounds per mode (default 8)")
    parser.add_argument("--requests", type=int, default=80, help="requests per daemon round (default 80)")
    parser.add_argument("--starts", type=int, default=3, help="daemon starts per mode (default 3)")
    args = parser.parse_args()
    print(f"machine   {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    cost = hooks(args.hook_tasks)
    print(f"hooks     CPU per task: bare {cost['bare']:.1f} us; telemetry off {cost['off']:.1f} us "
          f"(+{cost['off'] - cost['bare']:.1f} us); tracing on +{(cost['tracing'] - cost['bare']) / 1000:.3f} ms "
          f"(target <= 0.3 ms); at sample_rate 0.1 +{(cost['sampled'] - cost['bare']) / 1000:.3f} ms; "
          f"tracing and metrics on +{(cost['metrics'] - cost['bare']) / 1000:.3f} ms")
    rounds = daemon_rounds(args.rounds, args.requests)
    off = rounds["off"]
    print(f"daemon    chat + tool call, {args.rounds} x {args.requests} requests per mode: p50 latency off "
          f"{off['p50']:.2f} ms, daemon CPU per task off {off['cpu_ms']:.2f} ms")
    for mode, label in (("tracing", "tracing on"), ("metrics", "tracing and metrics on")):
        on = rounds[mode]
        print(f"          {label}, OTLP/HTTP export included: p50 {on['p50'] - off['p50']:+.2f} ms, "
              f"CPU per task {on['cpu_ms'] - off['cpu_ms']:+.2f} ms")
    collector, collector_url = serve(fake_collector)
    try:
        stalls: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(5):
            for off_hub in (False, True):
                stalls[off_hub].append(hub_lag_during_export(collector_url, off_hub))
        encoding = encoding_us_per_span()
        print(f"export    OTLP encoding on the exporters' thread: {encoding:.1f} us CPU per span, "
              f"{encoding * SPANS_PER_TASK / 1000:.3f} ms per task")
        print(f"export    2048 spans: longest hub stall (median of 5) {statistics.median(stalls[True]):.1f} ms on the "
              f"exporters' thread vs {statistics.median(stalls[False]):.1f} ms when exported on the hub")
        with tempfile.TemporaryDirectory(prefix="bench_otel-start-") as tmp:
            started = start_and_memory(Path(tmp), collector_url, args.starts)
    finally:
        collector.stop()
    off, on = started["off"], started["on"]
    print(f"start     spawn to /healthz: off {off['start']:.3f} s, on {on['start']:.3f} s; idle RSS: off "
          f"{off['rss']:.1f} MB, on {on['rss']:.1f} MB (default config)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
