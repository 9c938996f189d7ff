"""Server spans of the gateway (SPEC §11.3): one per HTTP request (`<METHOD> <route>`, continuing a
client's `traceparent` header) and one per ACP JSON-RPC call (named after the method). A task enqueued
while one is current continues its trace. The WebSocket upgrade itself gets no span: it lasts as long
as the socket, and each call on it has its own."""

from time import perf_counter
from typing import Any, Callable

from opentelemetry.context import Context, attach, detach
from opentelemetry.trace import SpanKind, set_span_in_context

from goclaw_actors.telemetry.span_tools import fail_span, mark_error, remote_parent

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"})
ACP_INTERNAL_ERROR = -32603  # the only ACP error code that is the daemon's fault


def serve_request(backend: Any, app: Callable, environ: dict[str, Any], start_response: Callable) -> Any:
    """`app(environ, start_response)` inside a server span, renamed after the route bottle matched."""
    if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
        return app(environ, start_response)
    method = environ.get("REQUEST_METHOD", "GET")
    method = method if method in HTTP_METHODS else "_OTHER"
    parent = remote_parent(environ.get("HTTP_TRACEPARENT")) or Context()
    span = backend.tracer.start_span(method, context=parent, kind=SpanKind.SERVER, attributes={
        "http.request.method": method, "url.path": environ.get("PATH_INFO") or "/",
        "client.address": environ.get("REMOTE_ADDR", "")})
    statuses: list[str] = []

    def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
        statuses.append(status)
        return start_response(status, headers, exc_info)

    token = attach(set_span_in_context(span, parent))
    started = perf_counter()
    metric_attributes: dict[str, Any] = {"http.request.method": method}
    try:
        return app(environ, recording_start_response)
    except BaseException as exc:
        metric_attributes["error.type"] = mark_error(span, exc)
        raise
    finally:
        detach(token)
        rule = getattr(environ.get("bottle.route"), "rule", None)
        if rule:
            span.update_name(f"{method} {rule}")
            metric_attributes["http.route"] = rule
        if statuses and statuses[-1][:3].isdigit():
            metric_attributes["http.response.status_code"] = code = int(statuses[-1][:3])
            if code >= 500:
                fail_span(span, str(code), statuses[-1])
        span.set_attributes(metric_attributes)
        span.end()
        if backend.instruments is not None:
            backend.instruments.request_duration.record(perf_counter() - started, metric_attributes)


def acp_call(backend: Any, method: str, serve: Callable[[Any], Any], call: Any) -> Any:
    """`serve(call)` inside a server span of its own trace; an answer with an error code records it (the span
    fails only for the daemon's own errors)."""
    root = Context()
    span = backend.tracer.start_span(method, context=root, kind=SpanKind.SERVER, attributes={
        "rpc.system": "jsonrpc", "rpc.method": method, "rpc.jsonrpc.version": "2.0"})
    token = attach(set_span_in_context(span, root))
    metric_attributes: dict[str, Any] = {"rpc.method": method}
    started = perf_counter()
    try:
        return serve(call)
    except BaseException as exc:
        code = getattr(exc, "code", None)
        if isinstance(code, int):
            span.set_attribute("rpc.jsonrpc.error_code", code)
            metric_attributes["rpc.jsonrpc.error_code"] = code
        if code is None or code == ACP_INTERNAL_ERROR:
            metric_attributes["error.type"] = mark_error(span, exc)
        raise
    finally:
        detach(token)
        span.end()
        if backend.instruments is not None:
            backend.instruments.request_duration.record(perf_counter() - started, metric_attributes)
