"""OpenTelemetry for the daemon (SPEC §11.3): the one-line hooks the instrumented code calls.

Telemetry is off by default. Then every hook below is a plain call of the wrapped function (or a shared
no-op context manager, or None) and `opentelemetry` is never imported. `lifecycle.start` installs an
SDK-backed `backend.Backend` when `telemetry.enabled`; from then on the same hooks record spans and
metrics through it:

    with telemetry.task_attempt(task): ...                          # invoke_agent span of one attempt
    response = telemetry.llm_call(provider, request, on_token)      # chat span around provider.chat
    output = telemetry.tool_call(guarded_call, call, tools, ...)    # execute_tool span
    WriteRequest(op, kwargs, telemetry.traceparent())               # the caller's trace context

The installed backend is the one process-wide switch (OpenTelemetry's providers are process-wide by
nature); only start-up, config reload and shutdown (`lifecycle`) change it.
"""

from typing import Any, Callable

_backend: Any = None


class _NoSpan:
    """The context manager hooks return while telemetry is off."""

    __slots__ = ()

    def __enter__(self) -> "_NoSpan":
        return self

    def __exit__(self, *exc: Any) -> bool:
        return False


NO_SPAN = _NoSpan()


def installed() -> Any:
    """The backend in force, or None while telemetry is off."""
    return _backend


def install(backend: Any) -> Any:
    """Make `backend` (None: off) the one the hooks use; returns the previous one (for its owner to shut down)."""
    global _backend
    previous, _backend = _backend, backend
    return previous


def traceparent() -> str | None:
    """The W3C traceparent of the current span, or None (no span, or telemetry off)."""
    backend = _backend
    return None if backend is None else backend.traceparent()


def task_attempt(task: Any) -> Any:
    """Context manager: the `invoke_agent <agent>` span of one attempt of `task` (a TaskRow), continuing the
    trace stored in its row; an exception leaving it is recorded on the span."""
    backend = _backend
    return NO_SPAN if backend is None else backend.task_attempt(task)


def llm_call(provider: Any, request: Any, on_token: Callable[[str], None] | None) -> Any:
    """`provider.chat(request, on_token)` inside a `chat <model>` span, with usage and duration metrics."""
    backend = _backend
    if backend is None:
        return provider.chat(request, on_token)
    return backend.llm_call(provider, request, on_token)


def tool_call(run: Callable[..., str], call: Any, *args: Any) -> str:
    """`run(call, *args)` (the guarded tool call, answering text) inside an `execute_tool <name>` span."""
    backend = _backend
    if backend is None:
        return run(call, *args)
    return backend.tool_call(run, call, *args)


def agent_loop(run: Callable[..., Any], *args: Any) -> Any:
    """`run(*args)`, counted in `goclaw.loop.active` while it runs."""
    backend = _backend
    if backend is None:
        return run(*args)
    return backend.agent_loop(run, *args)


def loop_step() -> None:
    """Count one step of an agent loop (`goclaw.loop.steps`)."""
    backend = _backend
    if backend is not None:
        backend.loop_step()


def serve_request(app: Callable, environ: dict[str, Any], start_response: Callable) -> Any:
    """The WSGI call `app(environ, start_response)` inside a server span `<METHOD> <route>`."""
    backend = _backend
    if backend is None:
        return app(environ, start_response)
    return backend.serve_request(app, environ, start_response)


def acp_call(method: str, serve: Callable[[Any], Any], call: Any) -> Any:
    """`serve(call)` for one ACP JSON-RPC request inside a server span named after `method`."""
    backend = _backend
    if backend is None:
        return serve(call)
    return backend.acp_call(method, serve, call)


def rate_limited(surface: str) -> None:
    """Count one request refused by the gateway's rate limits (`goclaw.ratelimit.rejects`)."""
    backend = _backend
    if backend is not None:
        backend.rate_limited(surface)
