"""A2A (SPEC §9.7): the agent card at both well-known paths, and JSON-RPC 2.0 at POST /a2a.

Both spellings of every method are served: v1.0 `SendMessage`, `SendStreamingMessage`, `GetTask`,
`ListTasks`, `CancelTask` answer in v1.0 shapes (a2a_v1), the older `message/send`, `message/stream`,
`tasks/get`, `tasks/list`, `tasks/cancel` in v0.3 shapes. A v1.0 send blocks until the task ends unless
`configuration.returnImmediately`; a v0.3 send blocks only with `configuration.blocking`.
"""

import json
import uuid
from typing import Any, Callable, Iterator

import bottle

from goclaw_actors.config.defaults import DEFAULTS
from goclaw_actors.errors import AgentNotFound, StoreError, TaskNotFound
from goclaw_actors.http import a2a_mapping as a2a
from goclaw_actors.http import a2a_v1
from goclaw_actors.http.agent_scope import permitted_agents, require_agent
from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, follow_stream, load_task, wait_terminal
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.json_input import INT64_MAX, InvalidJson, parse_json
from goclaw_actors.http.json_input import rpc_id as answer_id
from goclaw_actors.bind_addr import parse_bind_addr
from goclaw_actors.http.route_access import AGENT_DATA, OPEN
from goclaw_actors.http.sse_frames import PING, SSE_HEADERS, data_frame, guarded
from goclaw_actors.http.task_abort import abort_task
from goclaw_actors.store import api_reads
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.version import VERSION_LABEL

CARD_PATHS = {"/.well-known/agent.json": False, "/.well-known/agent-card.json": True}  # path: with v1.0 fields
CARD_CACHE_CONTROL = "public, max-age=300"
BLOCKING_WAIT_SECONDS = 600.0  # a blocking send answers with the task as it is by then
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
DEFAULT_HEARTBEAT_SECONDS = DEFAULTS["gateway"]["sse_heartbeat_seconds"]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
TASK_NOT_FOUND = -32001
TASK_NOT_CANCELABLE = -32002

log = get_logger("gateway")


class RpcError(Exception):
    """A JSON-RPC error answer."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def install_a2a_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add GET /.well-known/agent.json, GET /.well-known/agent-card.json and POST /a2a."""
    for path, v1_fields in CARD_PATHS.items():
        app.get(path, callback=_card_route(ctx, v1_fields), access=OPEN)

    @app.post("/a2a", access=AGENT_DATA)
    def a2a_rpc():
        require_enabled(ctx)
        try:
            request = parse_json(bottle.request.body.read())
        except InvalidJson:
            return rpc_reply(None, error=RpcError(PARSE_ERROR, "parse error"))
        rpc_id = answer_id(request)
        if (not isinstance(request, dict) or request.get("jsonrpc") != "2.0"
                or not isinstance(request.get("method"), str) or not isinstance(rpc_id, (str, int))
                or rpc_id != request.get("id")):
            return rpc_reply(rpc_id, error=RpcError(INVALID_REQUEST, "invalid JSON-RPC request"))
        method, params = request["method"], request.get("params", {})
        try:
            if not isinstance(params, dict):
                raise RpcError(INVALID_PARAMS, "invalid params: params must be an object")
            if method in STREAM_METHODS:
                return stream_reply(ctx, rpc_id, params, STREAM_METHODS[method])
            if method not in METHODS:
                raise RpcError(METHOD_NOT_FOUND, f"method not found: {method}")
            handler, v1 = METHODS[method]
            return rpc_reply(rpc_id, result=handler(ctx, params, v1))
        except RpcError as error:
            return rpc_reply(rpc_id, error=error)
        except bottle.HTTPResponse:
            raise  # an agent the caller's key may not address: 403
        except Exception as exc:  # noqa: BLE001 - a JSON-RPC error, never the exception text
            log.error("a2a request failed", method=method, error=repr(exc))
            return rpc_reply(rpc_id, error=RpcError(INTERNAL_ERROR, "internal error"))


def _card_route(ctx: GatewayContext, v1_fields: bool) -> Callable[[], dict[str, Any]]:
    def card():
        require_enabled(ctx)
        bottle.response.set_header("Cache-Control", CARD_CACHE_CONTROL)
        return a2a.agent_card(ctx.read(api_reads.card_agents), card_url(ctx), VERSION_LABEL, v1_fields)
    return card


def require_enabled(ctx: GatewayContext) -> None:
    """404 while `a2a.enabled` is false."""
    if not ctx.config().get("a2a.enabled", True):
        raise bottle.HTTPResponse(status=404, body=json.dumps({"error": "not found"}),
                                  headers={"Content-Type": "application/json"})


def card_url(ctx: GatewayContext) -> str:
    """`http://<bind_addr>/a2a`; a bind address with port 0 names the port actually served."""
    bind_addr = ctx.config().bind_addr
    if parse_bind_addr(bind_addr)[1] == 0:
        bind_addr = f"{bind_addr.rpartition(':')[0]}:{bottle.request.environ.get('SERVER_PORT', '0')}"
    return f"http://{bind_addr}/a2a"


def rpc_reply(rpc_id: Any, result: Any = None, error: RpcError | None = None) -> bottle.HTTPResponse:
    """A JSON-RPC response (HTTP 200 either way)."""
    return bottle.HTTPResponse(status=200, body=json.dumps(rpc_body(rpc_id, result, error)),
                               headers={"Content-Type": "application/json"})


def rpc_body(rpc_id: Any, result: Any = None, error: RpcError | None = None) -> dict[str, Any]:
    """`{jsonrpc, id, result}` or `{jsonrpc, id, error: {code, message}}`."""
    if error is not None:
        return {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": error.code, "message": error.message}}
    return {"jsonrpc": "2.0", "id": rpc_id, "result": result}


def send_message(ctx: GatewayContext, params: dict[str, Any], v1: bool) -> dict[str, Any]:
    """SendMessage / message/send: enqueue the text as a chat task; the Task when it ends (v1.0 unless
    `returnImmediately`, v0.3 only if `blocking`), else at once."""
    configuration = params.get("configuration") or {}
    if not isinstance(configuration, dict):
        raise RpcError(INVALID_PARAMS, "invalid params: configuration must be an object")
    limit = history_length(configuration)
    task = enqueue_message(ctx, params, stream=False)
    blocking = configuration.get("returnImmediately") is not True if v1 else configuration.get("blocking") is True
    if blocking:
        task = wait_terminal(ctx, task.id, BLOCKING_WAIT_SECONDS) or load_task(ctx, task.id)
    rendered = a2a.a2a_task(task, limit)
    return {"task": a2a_v1.task(rendered)} if v1 else rendered


def rendered_task(task: TaskRow, v1: bool, limit: int | None = None) -> dict[str, Any]:
    """The Task in the method's dialect."""
    rendered = a2a.a2a_task(task, limit)
    return a2a_v1.task(rendered) if v1 else rendered


def enqueue_message(ctx: GatewayContext, params: dict[str, Any], stream: bool) -> TaskRow:
    """Enqueue the message's text for its agent in its context (a new session when it has none)."""
    message = params.get("message")
    try:
        content = a2a.message_text(message)
    except a2a.InvalidParams as exc:
        raise RpcError(INVALID_PARAMS, f"invalid params: {exc}")
    session_id = context_session(message.get("contextId"))
    agent_id = message_agent(message, params)
    require_agent(agent_id)
    try:
        task_id = enqueue_chat(ctx, ChatRequest(agent_id, session_id, content, stream=stream,
                                                extra={"source": "a2a"}))
    except AgentNotFound as exc:
        raise RpcError(INVALID_PARAMS, f"invalid params: {exc}")
    except StoreError as exc:
        raise RpcError(INTERNAL_ERROR, str(exc))
    return load_task(ctx, task_id)


def context_session(context_id: Any) -> str:
    """The session a contextId names (lower-case UUID), or a new one."""
    if context_id is None or context_id == "":
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(context_id)))
    except ValueError:
        raise RpcError(INVALID_PARAMS, "invalid params: contextId must be a UUID")


def message_agent(message: dict[str, Any], params: dict[str, Any]) -> str:
    """`metadata.agent_id` of the message (or of the request), else `default`."""
    for holder in (message, params):
        metadata = holder.get("metadata")
        if isinstance(metadata, dict) and metadata.get("agent_id") is not None:
            if not isinstance(metadata["agent_id"], str) or not metadata["agent_id"]:
                raise RpcError(INVALID_PARAMS, "invalid params: metadata.agent_id must be a string")
            return metadata["agent_id"]
    return "default"


def history_length(params: dict[str, Any]) -> int | None:
    """`historyLength` (a non-negative integer) or None."""
    value = params.get("historyLength")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RpcError(INVALID_PARAMS, "invalid params: historyLength must be a non-negative integer")
    return value


def visible_task(ctx: GatewayContext, params: dict[str, Any]) -> TaskRow:
    """The task `params.id` names (-32001 when unknown; 403 outside the caller's agents)."""
    task_id = params.get("id")
    if not isinstance(task_id, str) or not task_id:
        raise RpcError(INVALID_PARAMS, "invalid params: id is required")
    task = load_task(ctx, task_id)
    if task is None:
        raise RpcError(TASK_NOT_FOUND, "Task not found")
    require_agent(task.agent_id)
    return task


def get_task(ctx: GatewayContext, params: dict[str, Any], v1: bool) -> dict[str, Any]:
    """GetTask / tasks/get: the Task, with at most `historyLength` history messages."""
    limit = history_length(params)
    return rendered_task(visible_task(ctx, params), v1, limit)


def cancel_task(ctx: GatewayContext, params: dict[str, Any], v1: bool) -> dict[str, Any]:
    """tasks/cancel: abort the task (SPEC §3.7); -32002 when it has already ended."""
    task = visible_task(ctx, params)
    try:
        aborted = abort_task(ctx, task.id)
    except TaskNotFound:
        raise RpcError(TASK_NOT_FOUND, "Task not found")
    if not aborted:
        raise RpcError(TASK_NOT_CANCELABLE, "Task cannot be canceled")
    return rendered_task(load_task(ctx, task.id), v1)


def list_tasks(ctx: GatewayContext, params: dict[str, Any], v1: bool) -> dict[str, Any]:
    """ListTasks: newest first, filtered by `contextId` and `status`, paged by `pageSize` / `pageToken`
    (v1.0 leaves artifacts out unless `includeArtifacts`)."""
    limit = history_length(params)
    statuses = None
    if params.get("status"):
        try:
            statuses = a2a.statuses_for(str(params["status"]))
        except a2a.InvalidParams as exc:
            raise RpcError(INVALID_PARAMS, f"invalid params: {exc}")
    context_id = params.get("contextId")
    session_id = context_session(context_id) if context_id else None
    page_size = params.get("pageSize", DEFAULT_PAGE_SIZE)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise RpcError(INVALID_PARAMS, f"invalid params: pageSize must be between 1 and {MAX_PAGE_SIZE}")
    token = params.get("pageToken") or "0"
    if (not isinstance(token, str) or not (token.isascii() and token.isdigit()) or len(token) > 19
            or int(token) > INT64_MAX):
        raise RpcError(INVALID_PARAMS, "invalid params: unknown pageToken")
    offset = int(token)
    tasks, total = ctx.read(api_reads.list_tasks, statuses, page_size, offset, permitted_agents(), session_id)
    following = offset + len(tasks)
    rendered = [a2a.a2a_task(task, limit) for task in tasks]
    if v1:
        rendered = [a2a_v1.task(task, include_artifacts=params.get("includeArtifacts") is True) for task in rendered]
    return {"tasks": rendered,
            "nextPageToken": str(following) if following < total else "", "pageSize": page_size, "totalSize": total}


# method: (handler, answers in v1.0 shapes)
METHODS: dict[str, tuple[Callable[[GatewayContext, dict[str, Any], bool], Any], bool]] = {
    "SendMessage": (send_message, True), "message/send": (send_message, False),
    "GetTask": (get_task, True), "tasks/get": (get_task, False),
    "ListTasks": (list_tasks, True), "tasks/list": (list_tasks, False),
    "CancelTask": (cancel_task, True), "tasks/cancel": (cancel_task, False),
}
STREAM_METHODS = {"SendStreamingMessage": True, "message/stream": False}


def stream_reply(ctx: GatewayContext, rpc_id: Any, params: dict[str, Any], v1: bool) -> bottle.HTTPResponse:
    """message/stream: enqueue, then SSE of JSON-RPC results (errors before the enqueue answer as plain JSON)."""
    task = enqueue_message(ctx, params, stream=True)
    heartbeat = ctx.config().get("gateway.sse_heartbeat_seconds", DEFAULT_HEARTBEAT_SECONDS)

    def failed(exc: Exception) -> list[str]:  # the detail is logged by sse_frames.guarded
        return [data_frame(rpc_body(rpc_id, error=RpcError(INTERNAL_ERROR, "stream failed")))]

    frames = stream_frames(ctx, rpc_id, task, heartbeat, v1)
    return bottle.HTTPResponse(guarded(frames, failed, task_id=task.id), 200, SSE_HEADERS)


def stream_frames(ctx: GatewayContext, rpc_id: Any, task: TaskRow, heartbeat: float, v1: bool) -> Iterator[str]:
    """The Task, `working` when output starts, the reply as an artifact, then the final status (`final: true`
    in v0.3; in v1.0 the stream simply ends)."""
    def event(v03_event: dict[str, Any]) -> str:
        return data_frame(rpc_body(rpc_id, a2a_v1.stream_event(v03_event) if v1 else v03_event))

    yield event(a2a.a2a_task(task))
    working = False
    final: TaskRow | None = None  # stays None if the task vanished (purged)
    for item in follow_stream(ctx, task.id, heartbeat):
        kind = item.get("type")
        if kind in ("token", "tool_call") and not working:
            working = True
            yield event(a2a.status_update(task, final=False, state="working"))
        elif kind == "idle":
            yield PING
        elif kind == "done":
            final = item["task"]
    if final is None:  # purged while it ran
        yield data_frame(rpc_body(rpc_id, error=RpcError(TASK_NOT_FOUND, "Task not found")))
        return
    artifact = a2a.reply_artifact(final)
    if artifact is not None:
        yield event(a2a.artifact_update(final, artifact))
    yield event(a2a.status_update(final, final=True))
