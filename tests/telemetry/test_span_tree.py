"""The spans and metrics of real tasks through the in-process daemon (SPEC §11.3), recorded with the SDK's
in-memory exporter and metric reader: a chat request whose task fails once at the provider, is retried,
calls a tool and answers; a task enqueued outside any trace; a subtask spawned by a tool."""

import json
import sqlite3
import uuid

import pykka
import pytest
import requests
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from goclaw_actors import telemetry
from goclaw_actors.telemetry import lifecycle
from goclaw_actors.telemetry.settings import TelemetrySettings
from supervisors.daemon import Daemon
from tests.brain.fake_server import FakeServer, json_reply
from tests.e2e.tool_fixtures import AUTH_TOKEN, all_tools_policy, query, tool_model, wait_task, write_tool_home
from tests.gateway.acp_client import AcpClient
from tests.helpers import insert_task, wait_until
from tests.telemetry.otel_fixtures import collected

SETTINGS = TelemetrySettings(enabled=True, exporter="none", service_name="goclaw-test")


def flaky_tool_model(failed: set):
    """The tools fake model, answering 500 to the first call of each task whose script says `fail_once`."""

    def handler(seen):
        user = next(m for m in reversed(seen.body["messages"]) if m["role"] == "user")["content"]
        if '"fail_once"' in user and user not in failed:
            failed.add(user)
            return json_reply({"error": {"message": "upstream overloaded", "type": "server_error"}}, 500)
        return tool_model(seen)

    return handler


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """An in-process daemon (openai provider at a fake, every tool allowed) whose telemetry records into
    memory: `(daemon, spans exporter, metric reader, fake model)`."""
    root = tmp_path_factory.mktemp("otel")
    home = root / "home"
    home.mkdir()
    with FakeServer(handler=flaky_tool_model(set())) as model:
        env = write_tool_home(home, model.url, all_tools_policy(), {
            "bind_addr": "127.0.0.1:0", "llm": {"provider": "openai", "openai_model": "gpt-test-request"},
            "telemetry": {"enabled": True, "exporter": "none", "service_name": "goclaw-test"}})
        (home / "workspace").mkdir(exist_ok=True)
        (home / "workspace" / "notes.txt").write_text("the notes")
        daemon = Daemon(home, {"GOCLAW_HOME": str(home), **env}, root)
        daemon.start()
        started = telemetry.installed()
        assert started is not None and started.settings == SETTINGS  # the daemon's own, from config.yaml
        spans, metrics = InMemorySpanExporter(), InMemoryMetricReader()
        lifecycle._replace(lifecycle.build(SETTINGS, span_processors=[SimpleSpanProcessor(spans)],
                                           metric_readers=[metrics]), wait=True)
        daemon.port = daemon.boot.listener.getsockname()[1]
        yield daemon, spans, metrics, model
        daemon.shutdown()
    assert telemetry.installed() is None
    assert not pykka.ActorRegistry.get_all()


def chat(daemon, content: str) -> requests.Response:
    return requests.post(f"http://127.0.0.1:{daemon.port}/v1/chat/completions", timeout=30,
                         headers={"Authorization": f"Bearer {AUTH_TOKEN}"},
                         json={"model": "agent:default", "messages": [{"role": "user", "content": content}]})


def spans_of_trace(exporter, trace_id: int, count: int):
    """The finished spans of one trace, once there are `count` of them."""
    def finished():
        found = [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]
        return found if len(found) >= count else None
    return wait_until(finished, timeout=10, what=f"{count} spans of trace {trace_id:032x}")


def children(spans, parent):
    return sorted((s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id),
                  key=lambda s: s.start_time)


def test_a_retried_chat_task_with_a_tool_call_is_one_span_tree(traced):
    daemon, exporter, metrics, model = traced
    content = json.dumps({"tool": "read_file", "arguments": {"path": "notes.txt"}, "fail_once": True})
    response = chat(daemon, content)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "tool said: the notes"

    [request] = [s for s in exporter.get_finished_spans() if s.name == "POST /v1/chat/completions"]
    spans = spans_of_trace(exporter, request.context.trace_id, 7)
    assert request.parent is None and request.kind == SpanKind.SERVER
    assert request.attributes["http.route"] == "/v1/chat/completions"
    assert request.attributes["http.response.status_code"] == 200
    assert request.resource.attributes["service.name"] == "goclaw-test"

    first, second = children(spans, request)  # one span per attempt, both in the request's trace
    task_id = first.attributes["goclaw.task.id"]
    session_id = first.attributes["goclaw.session.id"]
    for attempt, span in enumerate((first, second), start=1):
        assert span.name == "invoke_agent default"
        assert {k: v for k, v in span.attributes.items() if k != "error.type"} == {
            "goclaw.agent.id": "default", "goclaw.task.id": task_id, "goclaw.session.id": session_id,
            "gen_ai.conversation.id": session_id, "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.id": "default", "goclaw.task.attempt": attempt,
            "goclaw.task.type": "chat", "goclaw.run.id": span.attributes["goclaw.run.id"]}
    assert first.status.status_code == StatusCode.ERROR and "HTTP 500" in first.status.description
    assert first.attributes["error.type"] == "UNKNOWN"  # the provider's error class (SPEC §4.5)
    assert second.status.status_code == StatusCode.UNSET

    [failed_call] = children(spans, first)
    assert failed_call.name == "chat gpt-test-request" and failed_call.kind == SpanKind.CLIENT
    assert failed_call.status.status_code == StatusCode.ERROR
    assert failed_call.attributes["error.type"] and "gen_ai.response.model" not in failed_call.attributes

    llm1, tool, llm2 = children(spans, second)
    for llm, finish in ((llm1, "tool_calls"), (llm2, "stop")):
        assert llm.name == "chat gpt-test-request" and llm.kind == SpanKind.CLIENT
        assert {k: v for k, v in llm.attributes.items() if k.startswith("gen_ai.")} == {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-test-request", "gen_ai.response.model": "gpt-test",
            "gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 3,
            "gen_ai.response.finish_reasons": (finish,), "gen_ai.conversation.id": session_id}
        assert (llm.attributes["goclaw.llm.provider"], llm.attributes["goclaw.llm.model"]) == ("openai",
                                                                                          "gpt-test-request")
        assert (llm.attributes["goclaw.task.id"], llm.attributes["goclaw.agent.id"]) == (task_id, "default")
    assert tool.name == "execute_tool read_file" and tool.status.status_code == StatusCode.UNSET
    assert {k: v for k, v in tool.attributes.items() if k != "goclaw.session.id"} == {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "read_file", "gen_ai.tool.call.id": "call_0",
        "gen_ai.tool.type": "function", "goclaw.tool.name": "read_file", "goclaw.agent.id": "default",
        "goclaw.task.id": task_id, "gen_ai.conversation.id": session_id}
    assert llm1.end_time <= tool.start_time and tool.end_time <= llm2.start_time

    events = query(daemon.boot.db_path, "SELECT DISTINCT trace_id FROM task_events WHERE task_id = ?", task_id)
    assert events == [{"trace_id": f"{request.context.trace_id:032x}"}]  # SPEC §11.3: the task's trace id

    points = collected(metrics)
    assert sorted(p.attributes["gen_ai.token.type"] for p in points["gen_ai.client.token.usage"]) == ["input", "output"]
    assert sum(p.count for p in points["gen_ai.client.token.usage"]) == 4  # two reported calls
    durations = {p.attributes.get("error.type") is not None: p.count for p in points["gen_ai.client.operation.duration"]}
    assert durations == {True: 1, False: 2}
    outcomes = {p.attributes["goclaw.outcome"]: p.count for p in points["goclaw.task.duration"]}
    assert outcomes["ok"] >= 1 and sum(outcomes.values()) >= 2
    assert [p.attributes["goclaw.tool.name"] for p in points["goclaw.tool.duration"]] == ["read_file"]
    assert sum(p.value for p in points["goclaw.llm.tokens"]) == 16
    assert any(p.attributes.get("http.route") == "/v1/chat/completions" for p in points["goclaw.request.duration"])


def test_a_task_enqueued_outside_a_trace_keeps_its_own_trace_across_attempts(traced):
    daemon, exporter, _, _ = traced
    with sqlite3.connect(daemon.boot.db_path) as conn:
        task_id = insert_task(conn, json.dumps({"tool": "list_directory", "arguments": {"path": "."},
                                                "fail_once": True}))
    assert wait_task(daemon.boot.db_path, task_id)["status"] == "SUCCEEDED"
    trace_id = int(task_id.replace("-", ""), 16)
    spans = spans_of_trace(exporter, trace_id, 6)
    attempts = sorted((s for s in spans if s.name == "invoke_agent default"), key=lambda s: s.start_time)
    assert [s.attributes["goclaw.task.attempt"] for s in attempts] == [1, 2]
    assert all(s.parent is None for s in attempts)  # no request enqueued it: each attempt is a root of the trace
    assert [s.name for s in children(spans, attempts[1])] == ["chat gpt-test-request", "execute_tool list_directory",
                                                              "chat gpt-test-request"]


def test_a_subtask_continues_the_trace_of_the_tool_call_that_spawned_it(traced):
    daemon, exporter, _, _ = traced
    response = chat(daemon, json.dumps({"tool": "spawn_task", "arguments": {"description": "child work"}}))
    assert response.status_code == 200
    [spawn] = [s for s in exporter.get_finished_spans() if s.name == "execute_tool spawn_task"]

    def subtask_span():
        return children([s for s in exporter.get_finished_spans() if s.context.trace_id == spawn.context.trace_id],
                        spawn)
    [child] = wait_until(subtask_span, timeout=10, what="the subtask's attempt span")
    assert child.name == "invoke_agent default" and child.attributes["goclaw.task.type"] == "subtask"
    [request] = [s for s in exporter.get_finished_spans()
                 if s.context.trace_id == spawn.context.trace_id and s.parent is None]
    assert request.name == "POST /v1/chat/completions"


def test_an_acp_call_is_the_parent_of_the_task_it_enqueues(traced):
    daemon, exporter, _, _ = traced
    client = AcpClient(daemon.port, token=AUTH_TOKEN)
    try:
        client.call("system.hello", {})
        task_id = client.call("agent.chat", {"session_id": str(uuid.uuid4()), "content": "over acp"})["task_id"]
    finally:
        client.close()
    assert wait_task(daemon.boot.db_path, task_id)["status"] == "SUCCEEDED"

    def attempt_span():
        return next((s for s in exporter.get_finished_spans()
                     if s.name == "invoke_agent default" and s.attributes["goclaw.task.id"] == task_id), None)
    attempt = wait_until(attempt_span, timeout=10, what="the attempt span")
    [call] = [s for s in exporter.get_finished_spans() if s.context.span_id == attempt.parent.span_id]
    assert (call.name, call.kind, call.parent) == ("agent.chat", SpanKind.SERVER, None)
    assert (call.attributes["rpc.system"], call.attributes["rpc.method"]) == ("jsonrpc", "agent.chat")
    assert not any(s.name.startswith("GET") and s.attributes.get("url.path") == "/ws"
                   for s in exporter.get_finished_spans())  # the socket itself has no span


def test_requests_without_telemetry_record_nothing(traced):
    daemon, exporter, _, _ = traced
    previous = telemetry.install(None)
    try:
        before = len(exporter.get_finished_spans())
        assert chat(daemon, "hello").status_code == 200
        assert len(exporter.get_finished_spans()) == before
        task = query(daemon.boot.db_path, "SELECT id, session_id, traceparent FROM tasks ORDER BY created_at DESC "
                                          "LIMIT 1")[0]
        assert task["traceparent"] is None
        events = query(daemon.boot.db_path, "SELECT DISTINCT trace_id FROM task_events WHERE task_id = ?", task["id"])
        assert events == [{"trace_id": task["session_id"]}]  # SPEC §3.3: the session id when no trace is active
    finally:
        telemetry.install(previous)
