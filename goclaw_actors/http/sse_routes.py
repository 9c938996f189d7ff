"""The task stream: `GET /api/v1/task/stream?task_id=` as server-sent events (SPEC §9.6)."""

import json
from typing import Any, Iterable, Iterator

import bottle

from goclaw_actors.config.defaults import DEFAULTS
from goclaw_actors.http.chat_tasks import follow_stream, load_task
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.principal import current_principal
from goclaw_actors.http.route_access import AGENT_DATA
from goclaw_actors.http.sse_frames import PING, SSE_HEADERS, data_frame, guarded
from goclaw_actors.http.task_result import task_reply

STREAM_PATH = "/api/v1/task/stream"
DEFAULT_HEARTBEAT_SECONDS = DEFAULTS["gateway"]["sse_heartbeat_seconds"]


def install_sse_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add GET /api/v1/task/stream (bottle answers other methods with 405)."""

    @app.get(STREAM_PATH, access=AGENT_DATA)
    def task_stream():
        task_id = bottle.request.query.get("task_id", "").strip()
        if not task_id:
            return error_response(400, "task_id query parameter is required")
        task = load_task(ctx, task_id)
        if task is None:
            return error_response(404, f"task not found: {task_id}")
        if not current_principal(bottle.request.environ).allows(task.agent_id):
            return error_response(403, f'API key not permitted for agent "{task.agent_id}"')
        heartbeat = ctx.config().get("gateway.sse_heartbeat_seconds", DEFAULT_HEARTBEAT_SECONDS)
        frames = task_stream_frames(follow_stream(ctx, task_id, heartbeat))
        return bottle.HTTPResponse(guarded(frames, _stream_failed, task_id=task_id), 200, SSE_HEADERS)


def task_stream_frames(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Events of a task from `chat_tasks.follow_stream` items: token and tool_call events as they come,
    then the reply as one token event if none was streamed, or the error, then `done` with the status."""
    streamed = False
    task = None
    for item in items:
        kind = item.get("type")
        if kind == "token" and isinstance(item.get("token"), str) and item["token"]:
            streamed = True
            yield data_frame({"type": "token", "token": item["token"]})
        elif kind == "tool_call":
            yield data_frame({"type": "tool_call", "tool_name": item.get("tool_name")})
        elif kind == "idle":
            yield PING
        elif kind == "done":
            task = item["task"]
    if task is None:  # purged while we followed it
        yield data_frame({"type": "error", "error": "task not found"})
        return
    if task.status == "SUCCEEDED":
        reply = task_reply(task)
        if reply and not streamed:
            yield data_frame({"type": "token", "token": reply})
    else:
        yield data_frame({"type": "error", "error": task.error or task.status.lower()})
    yield data_frame({"type": "done", "status": task.status})


def error_response(status: int, message: str) -> bottle.HTTPResponse:
    """`{"error": message}` as JSON with `status`."""
    return bottle.HTTPResponse(json.dumps({"error": message}), status, {"Content-Type": "application/json"})


def _stream_failed(exc: Exception) -> list[str]:  # the detail is logged by sse_frames.guarded
    return [data_frame({"type": "error", "error": "stream failed"})]
