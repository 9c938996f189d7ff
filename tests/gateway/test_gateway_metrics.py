"""GET /metrics and GET /metrics/prometheus on a real socket (SPEC §9.8)."""

import json
import sqlite3
import uuid

from prometheus_client.parser import text_string_to_metric_families

from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, wait_terminal
from tests.actors.daemon_fixture import ctx, daemon  # noqa: F401  (fixtures)
from tests.gateway.security_client import BEARER, get
from tests.helpers import db_now

JSON_FIELDS = {"pending_tasks", "running_tasks", "active_lanes", "lease_expiries", "retries", "dlq_size",
               "policy_deny_rate", "alloc_bytes", "agent_count", "agent_messages_total", "delegations_total",
               "bus_dropped_events", "agents", "wasm_memory_pages", "wasm_memory_limit_pages",
               "retention_deleted_rows"}
FAMILIES = {
    "goclaw_pending_tasks": "gauge", "goclaw_running_tasks": "gauge", "goclaw_active_lanes": "gauge",
    "goclaw_lease_expiries": "gauge", "goclaw_retries": "gauge", "goclaw_dlq_size": "gauge",
    "goclaw_alloc_bytes": "gauge", "goclaw_agent_count": "gauge", "goclaw_agent_active_tasks": "gauge",
    "goclaw_wasm_memory_pages": "gauge", "goclaw_wasm_memory_limit_pages": "gauge",
    "goclaw_wasm_module_memory_pages": "gauge", "goclaw_policy_deny": "counter",
    "goclaw_agent_messages": "counter", "goclaw_delegations": "counter", "goclaw_bus_dropped_events": "counter",
    "goclaw_retention_deleted_rows": "counter",
    "goclaw_tasks": "counter", "goclaw_llm_tokens": "counter",  # the family of goclaw_llm_tokens_total
    "goclaw_task_duration_seconds": "histogram", "goclaw_task_queue_wait_seconds": "histogram",
    "goclaw_llm_request_duration_seconds": "histogram", "goclaw_llm_request_tokens": "histogram",
    "goclaw_build_info": "gauge",
}
ALLOWED_LABELS = {"agent_id", "status", "provider", "model", "kind", "module", "le", "version", "python", "table"}


def _insert_task(conn, status: str, attempt: int = 0, available_in: float = 0.0, prompt: int = 0,
                 completion: int = 0) -> str:
    """A task row in `status`, written by SQL as another tool would."""
    task_id, session_id, now = str(uuid.uuid4()), str(uuid.uuid4()), db_now()
    conn.execute("INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)", (session_id, now, now))
    conn.execute(
        "INSERT INTO tasks (id, session_id, agent_id, type, status, attempt, max_attempts, available_at, payload, "
        "prompt_tokens, completion_tokens, total_tokens, created_at, updated_at) "
        "VALUES (?, ?, 'default', 'chat', ?, ?, 3, ?, '{}', ?, ?, ?, ?, ?)",
        (task_id, session_id, status, attempt, db_now(available_in), prompt, completion, prompt + completion, now,
         now))
    return task_id


def _seed(db_path) -> None:
    """A model turn with usage, a dead letter, a retry waiting an hour, and since-start records."""
    with sqlite3.connect(db_path, timeout=5) as conn:
        turn = _insert_task(conn, "SUCCEEDED", attempt=1, prompt=100, completion=20)
        conn.execute("INSERT INTO task_metrics (task_id, agent_id, queue_wait_ms, run_ms, prompt_tokens, "
                     "completion_tokens, created_at) VALUES (?, 'default', 50, 300, 100, 20, ?)", (turn, db_now()))
        _insert_task(conn, "DEAD_LETTER", attempt=3)
        _insert_task(conn, "QUEUED", attempt=1, available_in=3600)
        for created in (db_now(), "2020-01-01 00:00:00"):  # the second one predates the daemon's start
            conn.execute("INSERT INTO audit_log (audit_id, action, decision, reason, created_at) "
                         "VALUES (?, 'exec', 'deny', 'missing_capability', ?)", (str(uuid.uuid4()), created))
            conn.execute("INSERT INTO agent_messages (from_agent, to_agent, content, created_at) "
                         "VALUES ('default', 'coder', 'hi', ?)", (created,))
            conn.execute("INSERT INTO delegations (id, parent_agent, child_agent, prompt, status, created_at) "
                         "VALUES (?, 'default', 'coder', 'do it', 'completed', ?)", (str(uuid.uuid4()), created))


def _run_tasks(ctx, count: int) -> None:
    for _ in range(count):
        task = wait_terminal(ctx, enqueue_chat(ctx, ChatRequest("default", str(uuid.uuid4()), "hello")), timeout=10)
        assert task.status == "SUCCEEDED"


def _families(daemon) -> tuple[dict, str]:
    """Parsed families by name (no two share one), and the text."""
    response = get(daemon, "/metrics/prometheus", headers=BEARER)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {}
    for family in text_string_to_metric_families(response.text):
        assert family.name not in families, family.name
        families[family.name] = family
    return families, response.text


def _value(family, **labels) -> float:
    matches = [s.value for s in family.samples if s.labels == labels]
    assert len(matches) == 1, (family.name, labels, family.samples)
    return matches[0]


def _sample(family, name: str, **labels) -> float:
    matches = [s.value for s in family.samples if s.name == name and s.labels == labels]
    assert len(matches) == 1, (name, labels, family.samples)
    return matches[0]


def test_metrics_json_has_every_field(daemon):
    response = get(daemon, "/metrics", headers=BEARER)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == JSON_FIELDS
    assert body["agents"] == [{"agent_id": "default", "active_tasks": 0, "worker_count": 2}]
    assert body["agent_count"] == 1 and body["alloc_bytes"] > 10 * 1024 * 1024
    assert all(isinstance(body[name], int) for name in JSON_FIELDS - {"agents", "retention_deleted_rows"})
    assert body["retention_deleted_rows"] == {"audit_log": 0, "messages": 0, "task_events": 0}


def test_metrics_json_counts_the_queue_and_since_start(ctx, daemon):
    _run_tasks(ctx, 2)
    _seed(daemon.boot.db_path)
    body = get(daemon, "/metrics", headers=BEARER).json()
    assert (body["pending_tasks"], body["retries"], body["dlq_size"]) == (1, 1, 1)
    assert (body["running_tasks"], body["active_lanes"], body["lease_expiries"]) == (0, 0, 0)
    assert (body["policy_deny_rate"], body["agent_messages_total"], body["delegations_total"]) == (1, 1, 1)


def test_prometheus_text_parses_with_help_and_type_for_each(daemon):
    families, text = _families(daemon)
    assert {name: family.type for name, family in families.items()} == FAMILIES
    for name in FAMILIES:
        exposed = name + "_total" if FAMILIES[name] == "counter" and not name.endswith("_total") else name
        assert f"# HELP {exposed} " in text and f"# TYPE {exposed} " in text, name
    build = families["goclaw_build_info"].samples
    assert len(build) == 1 and build[0].value == 1 and set(build[0].labels) == {"version", "python"}
    assert _value(families["goclaw_agent_active_tasks"], agent_id="default") == 0


def test_prometheus_counters_and_histograms_follow_the_store(ctx, daemon):
    _run_tasks(ctx, 2)
    _seed(daemon.boot.db_path)
    families, text = _families(daemon)
    tasks = families["goclaw_tasks"]
    assert _sample(tasks, "goclaw_tasks_total", agent_id="default", status="SUCCEEDED") == 3
    assert _sample(tasks, "goclaw_tasks_total", agent_id="default", status="DEAD_LETTER") == 1
    assert _value(families["goclaw_dlq_size"]) == 1 and _value(families["goclaw_retries"]) == 1
    assert _sample(families["goclaw_policy_deny"], "goclaw_policy_deny_total") == 1

    duration = families["goclaw_task_duration_seconds"]
    labels = {"agent_id": "default", "status": "SUCCEEDED"}
    assert _sample(duration, "goclaw_task_duration_seconds_count", **labels) == 3
    buckets = [s for s in duration.samples if s.name.endswith("_bucket")]
    counts = [s.value for s in buckets]
    assert counts == sorted(counts) and buckets[-1].labels["le"] == "+Inf" and counts[-1] == 3
    assert _sample(duration, "goclaw_task_duration_seconds_bucket", le="0.5", **labels) == 3  # fallback runs are fast
    wait = families["goclaw_task_queue_wait_seconds"]
    assert _sample(wait, "goclaw_task_queue_wait_seconds_count", agent_id="default") == 3

    model = {"provider": "auto", "model": daemon.boot.config.default_model}
    llm = families["goclaw_llm_request_duration_seconds"]
    assert _sample(llm, "goclaw_llm_request_duration_seconds_count", **model) == 1
    assert _sample(llm, "goclaw_llm_request_duration_seconds_sum", **model) == 0.3
    assert _sample(llm, "goclaw_llm_request_duration_seconds_bucket", le="0.25", **model) == 0
    assert _sample(llm, "goclaw_llm_request_duration_seconds_bucket", le="0.5", **model) == 1
    totals = families["goclaw_llm_tokens"]
    assert _sample(totals, "goclaw_llm_tokens_total", kind="prompt", **model) == 100
    assert _sample(totals, "goclaw_llm_tokens_total", kind="completion", **model) == 20
    tokens = families["goclaw_llm_request_tokens"]
    assert _sample(tokens, "goclaw_llm_request_tokens_bucket", kind="prompt", le="64.0", **model) == 0
    assert _sample(tokens, "goclaw_llm_request_tokens_bucket", kind="prompt", le="256.0", **model) == 1
    assert _sample(tokens, "goclaw_llm_request_tokens_bucket", kind="completion", le="64.0", **model) == 1
    assert _sample(tokens, "goclaw_llm_request_tokens_sum", kind="completion", **model) == 20

    for family in families.values():
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS, sample  # never a task, session or user id
    for line in text.splitlines():  # label names inside each sample line are sorted
        if "{" in line and not line.startswith("#"):
            names = [pair.split("=")[0] for pair in line[line.index("{") + 1:line.index("}")].split(",")]
            assert names == sorted(names), line


def test_metrics_need_the_token(daemon):
    assert get(daemon, "/metrics").status_code == 401
    assert get(daemon, "/metrics/prometheus").text == "unauthorized\n"
    assert json.loads(get(daemon, "/metrics", headers=BEARER).text)["dlq_size"] == 0
