"""The OpenAI-compatible API: `POST /v1/chat/completions`, `GET /v1/models` and `GET /v1/models/{id}` (SPEC §9.4)."""

import json
from typing import Any, Callable, Iterator

import bottle

from goclaw_actors.config.defaults import DEFAULTS
from goclaw_actors.errors import StoreError
from goclaw_actors.http.chat_routing import completion_chat_request
from goclaw_actors.http.chat_tasks import enqueue_watched, stream_new_task
from goclaw_actors.http.client_gone import client_socket, wait_terminal_unless_gone
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.attempt_failure import AttemptFailure
from goclaw_actors.http.openai_errors import OpenAIError, ended_task_error, model_not_found, task_failed
from goclaw_actors.http.openai_messages import DEFAULT_MODEL, CompletionRequest, parse_completion_request
from goclaw_actors.http.openai_results import completion_body, enqueue_error
from goclaw_actors.http.openai_stream import DONE, ChunkFramer, completion_frames
from goclaw_actors.http.principal import Principal, current_principal
from goclaw_actors.http.route_access import AGENT_DATA
from goclaw_actors.http.sse_frames import SSE_HEADERS, data_frame, guarded
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.store.sqlite_reads import active_agents, last_failure
from goclaw_actors.store.task_row import TaskRow

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
MODEL_CREATED = 1677610602  # the `created` of every listed model
MODEL_OWNER = "goclaw"
DEFAULT_HEARTBEAT_SECONDS = DEFAULTS["gateway"]["sse_heartbeat_seconds"]

log = get_logger("gateway")


def install_openai_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add the chat completions and models routes (the router answers other methods with 405)."""

    @app.post(CHAT_PATH, access=AGENT_DATA)
    def chat_completions():
        return _openai_response(lambda: chat_completion(ctx, bottle.request.environ))

    @app.get(MODELS_PATH, access=AGENT_DATA)
    def models():
        principal = current_principal(bottle.request.environ)
        return _openai_response(lambda: json_response(200, models_list(ctx.read(active_agents), principal)))

    @app.get(MODELS_PATH + "/<model_id:path>", access=AGENT_DATA)
    def model(model_id):
        principal = current_principal(bottle.request.environ)
        return _openai_response(lambda: json_response(200, model_object(ctx.read(active_agents), principal,
                                                                         model_id)))


def chat_completion(ctx: GatewayContext, environ: dict[str, Any]) -> bottle.HTTPResponse:
    """Validate, enqueue the last message as a chat task (the conversation replacing the stored history),
    then answer with the completion, or stream it."""
    sock = client_socket(environ)  # found only before the body is read
    request = parse_completion_request(bottle.request.body.read())
    principal = current_principal(environ)
    if not principal.allows(request.agent_id):
        raise OpenAIError(403, f'API key not permitted for agent "{request.agent_id}"', "agent_not_permitted")
    chat = completion_chat_request(ctx, principal, request)  # @mentions and chat commands
    heartbeat = ctx.config().get("gateway.sse_heartbeat_seconds", DEFAULT_HEARTBEAT_SECONDS)
    try:
        if request.stream:  # subscribed before the enqueue: not one chunk can be missed
            task_id, items = stream_new_task(ctx, chat, heartbeat)
        else:
            task_id, watch = enqueue_watched(ctx, chat)
    except StoreError as exc:
        raise enqueue_error(exc, request.model) from exc
    if request.stream:
        return stream_response(ctx, task_id, items, request)
    with watch:
        task = wait_terminal_unless_gone(ctx, task_id, sock, watch)
    if task is None:
        log.info("client disconnected; its task keeps running", task_id=task_id)
        raise OpenAIError(504, "Client disconnected before the task finished", "client_disconnected")
    if task.status != "SUCCEEDED":
        raise ended_error(ctx, task)
    return json_response(200, completion_body(task, request.model))


def ended_error(ctx: GatewayContext, task: TaskRow | None) -> OpenAIError:
    """The error of a task that ended without a reply, by its last attempt's failure (SPEC §9.4)."""
    if task is None:
        return task_failed("task not found")
    return ended_task_error(task, AttemptFailure.from_dict(ctx.read(last_failure, task.id)))


def stream_response(ctx: GatewayContext, task_id: str, items: Iterator[dict[str, Any]],
                    request: CompletionRequest) -> bottle.HTTPResponse:
    """The task's completion as `text/event-stream` chunks, pinging while idle, ending with `[DONE]`."""
    framer = ChunkFramer(task_id, request.model, request.include_usage)
    frames = completion_frames(items, framer, request.has_tools, lambda task: ended_error(ctx, task))
    return bottle.HTTPResponse(guarded(frames, _stream_failed, task_id=task_id), 200, SSE_HEADERS)


def models_list(agents: list[dict[str, Any]], principal: Principal) -> dict[str, Any]:
    """`goclaw-v1`, `agent:default`, then `agent:<id>` sorted; limited to the agents the caller may use."""
    ids = [DEFAULT_MODEL] if principal.allows("default") else []
    ids += [f"agent:{agent['agent_id']}" for agent in agents if principal.allows(agent["agent_id"])]
    return {"object": "list",
            "data": [{"id": model_id, "object": "model", "created": MODEL_CREATED, "owned_by": MODEL_OWNER}
                     for model_id in ids]}


def model_object(agents: list[dict[str, Any]], principal: Principal, model_id: str) -> dict[str, Any]:
    """The listed model `model_id`; 404 `model_not_found` when the caller's list has no such model."""
    for model in models_list(agents, principal)["data"]:
        if model["id"] == model_id:
            return model
    raise model_not_found(model_id)


def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> bottle.HTTPResponse:
    """A JSON response (not an HTTPError, so the app's generic error pages leave it alone)."""
    return bottle.HTTPResponse(json.dumps(document), status, {"Content-Type": "application/json", **(headers or {})})


def _openai_response(handle: Callable[[], bottle.HTTPResponse]) -> bottle.HTTPResponse:
    try:
        return handle()
    except OpenAIError as error:
        return json_response(error.status, error.body(), error.headers)
    except Exception as exc:  # noqa: BLE001 - the contract's error body instead of a bare 500
        log.error("openai request failed", error=repr(exc), path=bottle.request.path)
        return json_response(500, OpenAIError(500, "Internal error", "internal_error").body())


def _stream_failed(exc: Exception) -> list[str]:  # the detail is logged by sse_frames.guarded
    return [data_frame(OpenAIError(500, "Stream failed", "internal_error").body()), DONE]
