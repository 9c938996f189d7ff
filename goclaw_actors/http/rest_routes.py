"""REST routes (SPEC §9.5): tasks, abort, sessions, skills, config fingerprint, plans and cron schedules."""

import json
from typing import Any

import bottle

from goclaw_actors.config.text_values import check_text
from goclaw_actors.errors import ConfigError, TaskNotFound
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.agent_scope import allowed, permitted_agents, require_agent
from goclaw_actors.http.json_input import INT64_MAX, InvalidJson, parse_json
from goclaw_actors.http.route_access import AGENT_DATA, DAEMON_WIDE
from goclaw_actors.http.schedule_json import schedule_json
from goclaw_actors.http.task_abort import abort_task
from goclaw_actors.http.task_json import task_json
from goclaw_actors.plans.plan_lookup import PlanNotFound, configured_plans
from goclaw_actors.queue.states import STATES
from goclaw_actors.store import api_reads
from goclaw_actors.store.schedule_reads import list_schedules
from goclaw_actors.store.sqlite_reads import active_agent_ids
from goclaw_actors.timeutil import rfc3339

DEFAULT_TASK_LIMIT = 20
MAX_TASK_LIMIT = 100  # a larger limit falls back to the default
DEFAULT_SESSION_LIMIT = 20
MAX_SESSION_LIMIT = 100
MAX_MESSAGE_LIMIT = 100  # also the default
SESSION_ROUTE_ERROR = "only GET /api/sessions/{id}/messages is supported"
TASK_BODIES = ("payload", "result")  # what `GET /api/tasks?include=` may add to the summaries


def install_rest_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add the /api/tasks, /api/sessions, /api/skills, /api/config, /api/plans and /api/schedules routes."""

    @app.get("/api/tasks", access=AGENT_DATA)
    def tasks_list():
        query = bottle.request.query
        statuses = None
        if query.get("status"):
            status = query.get("status").strip().upper()
            if status not in STATES:
                raise json_error(400, f'invalid status "{query.get("status")}"')
            statuses = [status]
        limit = int_param("limit", DEFAULT_TASK_LIMIT)
        if limit <= 0 or limit > MAX_TASK_LIMIT:
            limit = DEFAULT_TASK_LIMIT
        offset = max(0, int_param("offset", 0))
        bodies = included_bodies()
        tasks, total = ctx.read(api_reads.list_tasks, statuses, limit, offset, permitted_agents(), None,
                                "payload" in bodies, "result" in bodies)
        return {"tasks": [task_json(task, "payload" in bodies, "result" in bodies) for task in tasks],
                "total": total}

    @app.get("/api/tasks/<task_id>", access=AGENT_DATA)
    def task_get(task_id: str):
        return task_json(visible_task(ctx, task_id))

    @app.post("/api/tasks/<task_id>/abort", access=AGENT_DATA)
    def task_abort(task_id: str):
        visible_task(ctx, task_id)
        try:
            return {"aborted": abort_task(ctx, task_id)}
        except TaskNotFound as exc:
            raise json_error(404, str(exc))

    @app.get("/api/sessions", access=AGENT_DATA)
    def sessions_list():
        limit = int_param("limit", DEFAULT_SESSION_LIMIT)
        limit = DEFAULT_SESSION_LIMIT if limit <= 0 else min(limit, MAX_SESSION_LIMIT)
        offset = max(0, int_param("offset", 0))
        rows = ctx.read(api_reads.list_sessions, limit, offset, permitted_agents())
        return {"sessions": [session_json(row) for row in rows]}

    @app.get("/api/sessions/<session_id>/messages", access=AGENT_DATA)
    def session_messages(session_id: str):
        limit = int_param("limit", MAX_MESSAGE_LIMIT)
        limit = MAX_MESSAGE_LIMIT if limit <= 0 or limit > MAX_MESSAGE_LIMIT else limit
        agents = permitted_agents()
        wanted = bottle.request.query.get("agent_id")
        if wanted:
            require_agent(wanted)
            agents = {wanted}
        rows = ctx.read(api_reads.session_messages, session_id, limit, agents)
        return {"messages": [message_json(row) for row in rows]}

    @app.route("/api/sessions/<rest:path>", method="ANY", access=AGENT_DATA)  # errors only
    def sessions_other(rest: str):
        parts = rest.split("/")
        if len(parts) == 2 and parts[1] == "messages" and parts[0]:
            raise bottle.HTTPError(405, "Method Not Allowed", Allow="GET")
        raise json_error(400, SESSION_ROUTE_ERROR)

    @app.get("/api/skills", access=DAEMON_WIDE)
    def skills_list():
        return {"skills": ctx.skills().status()}

    @app.get("/api/config", access=DAEMON_WIDE)
    def config_fingerprint():
        return {"config_hash": ctx.config().config_hash, "policy_version": ctx.policy().version}

    @app.get("/api/plans", access=AGENT_DATA)
    def plans_list():
        return {"plans": [{"name": plan.name, "step_count": len(plan.steps), "agent_ids": plan.agent_ids}
                          for plan in configured_plans(ctx.config(), ctx.read(active_agent_ids)) if all(map(allowed, plan.agent_ids))]}

    @app.post("/api/plans/<name>/execute", access=AGENT_DATA)
    def plan_execute(name: str):
        plan = next((plan for plan in configured_plans(ctx.config(), ctx.read(active_agent_ids)) if plan.name == name), None)
        if plan is None:
            raise json_error(404, f'plan "{name}" not found')
        for agent_id in plan.agent_ids:
            require_agent(agent_id)
        try:
            started = ctx.execute_plan(plan.name, execution_session_id())
        except PlanNotFound as exc:
            raise json_error(404, str(exc))
        return bottle.HTTPResponse(status=202, body=json.dumps(started), headers={"Content-Type": "application/json"})

    @app.get("/api/schedules", access=AGENT_DATA)
    def schedules_list():
        # Read-only: schedules change through ACP cron.*. A key scoped to agents sees only theirs.
        return {"schedules": [{**schedule_json(row), "agent_id": row["agent_id"]}
                              for row in ctx.read(list_schedules) if allowed(row["agent_id"])]}

    @app.get("/api/plans/executions/<execution_id>", access=AGENT_DATA)
    def plan_execution(execution_id: str):
        return execution_json(visible_execution(ctx, execution_id))

    @app.post("/api/plans/executions/<execution_id>/cancel", access=AGENT_DATA)
    def plan_cancel(execution_id: str):
        visible_execution(ctx, execution_id)
        return ctx.cancel_plan(execution_id)


def json_error(status: int, message: str) -> bottle.HTTPResponse:
    """A response to raise: `{"error": message}` with `status`."""
    return bottle.HTTPResponse(status=status, body=json.dumps({"error": message}),
                               headers={"Content-Type": "application/json"})


def int_param(name: str, default: int) -> int:
    """An integer query parameter; absent or not a number gives `default`, a number beyond what the
    database holds a raised 400."""
    try:
        value = int(bottle.request.query.get(name, ""))
    except ValueError:
        return default
    if abs(value) > INT64_MAX:
        raise json_error(400, f"{name} must be between {-INT64_MAX} and {INT64_MAX}")
    return value


def included_bodies() -> frozenset[str]:
    """What `?include=payload,result` asks a task listing to add to its summaries; a raised 400 for
    anything else."""
    wanted = {part.strip() for part in bottle.request.query.get("include", "").split(",") if part.strip()}
    unknown = sorted(wanted - set(TASK_BODIES))
    if unknown:
        raise json_error(400, f'invalid include "{unknown[0]}": use payload and/or result')
    return frozenset(wanted)


def execution_session_id() -> str | None:
    """The optional `session_id` of a plan execute body (no body, `{}`: None); raises a 400 otherwise."""
    raw = bottle.request.body.read()
    try:
        body = parse_json(raw) if raw.strip() else {}
    except InvalidJson:
        raise json_error(400, "Invalid JSON")
    if not isinstance(body, dict):
        raise json_error(400, "body must be a JSON object")
    session_id = body.get("session_id")
    if session_id is None:
        return None
    if not isinstance(session_id, str) or not session_id.strip():
        raise json_error(400, "session_id must be a non-empty string")
    try:
        return check_text(session_id, "session_id").strip()  # it is stored with the execution
    except ConfigError as exc:
        raise json_error(400, str(exc)) from None


def visible_task(ctx: GatewayContext, task_id: str):
    """The task, or a raised 404 / 403 (its agent is out of the caller's scope)."""
    task = ctx.read(api_reads.get_task_with_payload, task_id)
    if task is None:
        raise json_error(404, f"task not found: {task_id}")
    require_agent(task.agent_id)
    return task


def visible_execution(ctx: GatewayContext, execution_id: str) -> dict[str, Any]:
    """A plan execution with its steps, or a raised 404 / 403: an execution is the caller's only when all its
    steps' agents are."""
    execution = ctx.read(api_reads.plan_execution, execution_id)
    if execution is None:
        raise json_error(404, f"plan execution not found: {execution_id}")
    for agent_id in sorted({step["agent_id"] for step in execution["steps"]}):
        require_agent(agent_id)
    return execution


def session_json(row: dict[str, Any]) -> dict[str, Any]:
    """`{id, soul_hash?, created_at, updated_at}`."""
    body: dict[str, Any] = {"id": row["id"]}
    if row["soul_hash"]:
        body["soul_hash"] = row["soul_hash"]
    body["created_at"] = rfc3339(row["created_at"])
    body["updated_at"] = rfc3339(row["updated_at"])
    return body


def message_json(row: dict[str, Any]) -> dict[str, Any]:
    """`{id, session_id, agent_id, role, content, tokens, tool_call_id?, tool_calls?, created_at}`."""
    body: dict[str, Any] = {key: row[key] for key in ("id", "session_id", "agent_id", "role", "content", "tokens")}
    if row["tool_call_id"]:
        body["tool_call_id"] = row["tool_call_id"]
    if row["tool_calls_json"]:
        body["tool_calls"] = json.loads(row["tool_calls_json"])
    body["created_at"] = rfc3339(row["created_at"])
    return body


def execution_json(execution: dict[str, Any]) -> dict[str, Any]:
    """A plan execution row and its step rows, times in RFC 3339."""
    body = {key: value for key, value in execution.items() if key != "steps"}
    body["steps"] = [dict(step) for step in execution["steps"]]
    for row in (body, *body["steps"]):
        row["created_at"], row["updated_at"] = rfc3339(row["created_at"]), rfc3339(row["updated_at"])
    return body
