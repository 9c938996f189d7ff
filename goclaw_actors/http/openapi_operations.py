"""What the OpenAPI description says of each gateway route, keyed `"<METHOD> <bottle rule>"`: a summary, its
query parameters, its request body and its answers (SPEC §9). The paths themselves, their path parameters,
their security and the errors the middleware adds come from the router (goclaw_actors/http/openapi.py).
"""

from dataclasses import dataclass, field
from typing import Any

from goclaw_actors.http.openapi_schemas import ref

JSON = "application/json"
SSE = "text/event-stream"
TEXT = "text/plain"


@dataclass(frozen=True)
class Operation:
    """One documented operation: `answers` maps a status to (description, {media type: schema})."""

    summary: str
    answers: dict[int, tuple[str, dict[str, Any]]]
    query: dict[str, dict[str, Any]] = field(default_factory=dict)  # name: schema (all optional)
    body: dict[str, Any] | None = None  # the JSON request body schema
    body_required: bool = True
    tags: tuple[str, ...] = ()


def ok(schema: str, description: str = "OK") -> tuple[str, dict[str, Any]]:
    """A JSON answer of component schema `schema`."""
    return description, {JSON: ref(schema)}


def error(description: str, openai: bool = False) -> tuple[str, dict[str, Any]]:
    """An error answer in the REST (`{"error": text}`) or OpenAI format."""
    return description, {JSON: ref("OpenAIError" if openai else "Error")}


INT_TEXT = {"type": "string", "description": "an integer; anything else means the default"}
TASK_NOT_FOUND = error("no such task (or purged)")

OPERATIONS: dict[str, Operation] = {
    "GET /healthz": Operation("Health of the daemon", {200: ok("Health"), 503: ok("Health", "database check failed")},
                              tags=("ops",)),
    "GET /openapi.json": Operation("This OpenAPI description", {200: ok("OpenApi")}, tags=("ops",)),
    "GET /api/supervision": Operation("The running supervision tree with restart counts",
                                      {200: ok("Supervision")}, tags=("ops",)),
    "GET /metrics": Operation("Queue, lane and agent figures", {200: ok("Metrics")}, tags=("ops",)),
    "GET /metrics/prometheus": Operation("Prometheus text exposition",
                                         {200: ("OK", {TEXT: {"type": "string"}})}, tags=("ops",)),
    "POST /v1/chat/completions": Operation(
        "Chat completion (OpenAI-compatible); the last message is enqueued as a task",
        {200: ("the completion, or its chunks with `stream: true`",
               {JSON: ref("ChatCompletion"), SSE: {"type": "string"}}),
         400: error("invalid request", True), 404: error("unknown or stopped agent (`model_not_found`)", True),
         409: error("task canceled", True), 429: error("queue saturated or provider rate limited", True),
         500: error("task failed", True), 502: error("provider authentication failed", True),
         503: error("every provider's circuit is open", True), 504: error("task timeout or client gone", True)},
        body=ref("ChatCompletionRequest"), tags=("openai",)),
    "GET /v1/models": Operation("Models: goclaw-v1 and agent:<id> per permitted agent", {200: ok("ModelList")},
                                tags=("openai",)),
    "GET /v1/models/<model_id:path>": Operation("One model", {200: ok("Model"), 404: error("no such model", True)},
                                               tags=("openai",)),
    "GET /api/v1/task/stream": Operation(
        "Server-sent events of one task: tokens, tool calls, then done",
        {200: ("event stream", {SSE: {"type": "string"}}), 400: error("task_id missing"),
         404: TASK_NOT_FOUND}, query={"task_id": {"type": "string"}}, tags=("tasks",)),
    "GET /api/tasks": Operation(
        "Tasks, newest first", {200: ok("TaskList"), 400: error("bad status, include or number")},
        query={"status": {"type": "string"}, "limit": INT_TEXT, "offset": INT_TEXT,
               "include": {"type": "string", "description": "payload and/or result, comma-separated"}},
        tags=("tasks",)),
    "GET /api/tasks/<task_id>": Operation("One task", {200: ok("Task"), 404: TASK_NOT_FOUND}, tags=("tasks",)),
    "POST /api/tasks/<task_id>/abort": Operation("Abort a task", {200: ok("Aborted"), 404: TASK_NOT_FOUND},
                                                 tags=("tasks",)),
    "GET /api/sessions": Operation("Sessions, newest first", {200: ok("SessionList"), 400: error("bad number")},
                                   query={"limit": INT_TEXT, "offset": INT_TEXT}, tags=("sessions",)),
    "GET /api/sessions/<session_id>/messages": Operation(
        "A session's messages", {200: ok("MessageList"), 400: error("bad number or agent id")},
        query={"limit": INT_TEXT, "agent_id": {"type": "string"}}, tags=("sessions",)),
    "ANY /api/sessions/<rest:path>": Operation(
        "Any other session path: an error", {400: error("only GET /api/sessions/{id}/messages is supported")},
        tags=("sessions",)),
    "GET /api/skills": Operation("Skills and their status", {200: ok("SkillList")}, tags=("config",)),
    "GET /api/config": Operation("Config and policy fingerprints", {200: ok("ConfigFingerprint")},
                                 tags=("config",)),
    "GET /api/plans": Operation("Configured plans", {200: ok("PlanList")}, tags=("plans",)),
    "POST /api/plans/<name>/execute": Operation(
        "Start a plan", {202: ok("PlanStarted", "started"), 400: error("bad body"), 404: error("no such plan")},
        body=ref("PlanExecuteRequest"), body_required=False, tags=("plans",)),
    "GET /api/schedules": Operation("Cron schedules", {200: ok("ScheduleList")}, tags=("plans",)),
    "GET /api/plans/executions/<execution_id>": Operation(
        "A plan execution with its steps", {200: ok("PlanExecution"), 404: error("no such execution")},
        tags=("plans",)),
    "POST /api/plans/executions/<execution_id>/cancel": Operation(
        "Cancel a plan execution", {200: ("the execution's new state", {JSON: {"type": "object"}}),
                                    404: error("no such execution")}, tags=("plans",)),
    "GET /api/events": Operation("Recent task events", {200: ok("EventList"), 400: error("bad number")},
                                 query={"limit": INT_TEXT, "after_id": INT_TEXT}, tags=("activity",)),
    "GET /api/queue": Operation("Task counts by status", {200: ok("QueueCounts")}, tags=("activity",)),
    "GET /api/usage": Operation("Token usage and estimated cost", {200: ok("Usage")}, tags=("activity",)),
    "GET /api/agents/<agent_id>/memory": Operation(
        "An agent's core memory export", {200: ok("AgentMemory"), 404: error("no such agent")}, tags=("agents",)),
    "GET /.well-known/agent.json": Operation(
        "A2A agent card (v0.3 path)", {200: ok("AgentCard"), 404: error("A2A disabled")}, tags=("a2a",)),
    "GET /.well-known/agent-card.json": Operation(
        "A2A agent card (v1.0 path)", {200: ok("AgentCard"), 404: error("A2A disabled")}, tags=("a2a",)),
    "POST /a2a": Operation(
        "A2A JSON-RPC 2.0: errors are JSON-RPC errors in a 200 answer",
        {200: ("a JSON-RPC response, or an event stream for the streaming methods",
               {JSON: ref("JsonRpcResponse"), SSE: {"type": "string"}}), 404: error("A2A disabled")},
        body=ref("JsonRpcRequest"), tags=("a2a",)),
    "GET /ws": Operation(
        "ACP: JSON-RPC 2.0 over WebSocket (upgrade request)",
        {101: ("switching protocols", {}), 400: ("not a WebSocket upgrade", {TEXT: {"type": "string"}}),
         403: ("origin not allowed", {TEXT: {"type": "string"}, JSON: ref("Error")})}, tags=("acp",)),
}
