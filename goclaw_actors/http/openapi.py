"""The OpenAPI 3.1 description of the gateway's HTTP API, served at `GET /openapi.json` (open, rate limited).

Built from the bottle router itself: every route is a path in it, with the security of its declared access
(goclaw_actors/http/route_access.py) and the errors the middleware answers for it, so the description
cannot miss a route; what each route takes and answers comes from goclaw_actors/http/openapi_operations.py
(`undocumented_routes` names routes without an entry there; the test suite fails on any).
"""

import re
from typing import Any

import bottle

from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.openapi_operations import JSON, OPERATIONS, TEXT, Operation
from goclaw_actors.http.openapi_schemas import SCHEMAS, ref
from goclaw_actors.http.route_access import PUBLIC, Credential, RouteAccess, declared_access, is_openai_path
from goclaw_actors.version import VERSION_LABEL

OPENAPI_PATH = "/openapi.json"
ANY_METHODS = ("get", "post", "put", "patch", "delete")
_WILDCARD = re.compile(r"<([^>:]+)(?::[^>]*)?>")
SECURITY_SCHEMES = {
    "daemonToken": {"type": "http", "scheme": "bearer",
                    "description": "the daemon token (auth.token or GOCLAW_AUTH_TOKEN), or a gateway API key"},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                     "description": "a gateway API key (gateway.auth.enabled)"},
    "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key",
                    "description": "a gateway API key (never the daemon token)"},
}


def route_key(route: bottle.Route) -> str:
    """`"<METHOD> <rule>"`, the key of a route in OPERATIONS."""
    return f"{route.method} {route.rule}"


def undocumented_routes(app: bottle.Bottle) -> list[str]:
    """The routes of `app` OPERATIONS says nothing about."""
    return [route_key(route) for route in app.routes if route_key(route) not in OPERATIONS]


def openapi_path(rule: str) -> str:
    """A bottle rule as an OpenAPI path template (`/api/tasks/<task_id>` ⇒ `/api/tasks/{task_id}`)."""
    return _WILDCARD.sub(r"{\1}", rule)


def _security(access: RouteAccess) -> list[dict[str, list]]:
    if access.open:
        return []
    if access.credential is Credential.TOKEN:
        return [{"daemonToken": []}]
    return [{"daemonToken": []}, {"apiKeyHeader": []}, {"apiKeyQuery": []}]


def _middleware_answers(route: bottle.Route, access: RouteAccess, openai: bool
                        ) -> dict[int, tuple[str, dict[str, Any]]]:
    """The answers the security middleware and the router may give before the route runs (SPEC §9.1, §9.2)."""
    # Under /v1 the middleware's refusals keep the plain `{"error": text}` of SPEC §9.2 (missing or invalid
    # API key, rate limit, invalid path), while the token check and the routes answer in OpenAI's format.
    error = {JSON: {"anyOf": [ref("OpenAIError"), ref("Error")]} if openai else ref("Error"), TEXT: {"type": "string"}}
    answers = {400: ("invalid path or request framing", error), 405: ("method not allowed", error),
               413: ("request body too large", error)}
    if _WILDCARD.search(route.rule):
        answers[404] = ("a path parameter the route does not take (e.g. with a line break)", error)
    if access.rate_limited or not access.open:
        answers[429] = ("rate limit exceeded (or too many refused credentials)", error)
    if not access.open:
        answers[401] = ("missing or wrong credential", error)
        answers[403] = ("credential not valid or not permitted here", error)
    return answers


def _either(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Media types of two possible answers with one status: a schema of either where both give one."""
    merged = {**first, **second}
    for media in first.keys() & second.keys():
        if first[media] != second[media]:
            merged[media] = {"anyOf": [first[media], second[media]]}
    return merged


def _response(description: str, content: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if content:
        answer["content"] = {media: {"schema": schema} for media, schema in content.items()}
    return answer


def _operation(route: bottle.Route, method: str, doc: Operation) -> dict[str, Any]:
    access = declared_access(route)
    answers = _middleware_answers(route, access, is_openai_path(route.rule))
    for status, (description, content) in doc.answers.items():
        if status in answers:  # the route's own answer, or the middleware's
            content = _either(answers[status][1], content)
        answers[status] = (description, content)
    operation: dict[str, Any] = {
        "operationId": f"{method}{re.sub(r'[^A-Za-z0-9]+', '_', openapi_path(route.rule))}".rstrip("_"),
        "summary": doc.summary, "tags": list(doc.tags), "security": _security(access),
        "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                       for name in _WILDCARD.findall(route.rule)]
        + [{"name": name, "in": "query", "required": False, "schema": schema} for name, schema in doc.query.items()],
        "responses": {str(status): _response(*answers[status]) for status in sorted(answers)},
    }
    if doc.body is not None and method in ("post", "put", "patch"):
        operation["requestBody"] = {"required": doc.body_required, "content": {JSON: {"schema": doc.body}}}
    return operation


def openapi_document(app: bottle.Bottle) -> dict[str, Any]:
    """The OpenAPI 3.1 description of every route of `app`."""
    paths: dict[str, dict[str, Any]] = {}
    for route in app.routes:
        doc = OPERATIONS.get(route_key(route)) or Operation("(undocumented)", {})
        methods = ANY_METHODS if route.method == "ANY" else (route.method.lower(),)
        for method in methods:
            paths.setdefault(openapi_path(route.rule), {})[method] = _operation(route, method, doc)
    return {
        "openapi": "3.1.0",
        "info": {"title": "goclaw gateway", "version": VERSION_LABEL,
                 "description": "The HTTP API of the goclaw daemon: OpenAI-compatible chat, REST, task streams, "
                                "A2A JSON-RPC and the ACP WebSocket upgrade. Errors are `{\"error\": text}` "
                                "(REST), OpenAI's `{\"error\": {message, type, param, code}}` under /v1, "
                                "JSON-RPC errors on /a2a, and plain text from the outer middleware."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }


def install_openapi_route(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add GET /openapi.json, built from `app`'s router on first use (every route group is installed by then)."""
    built: list[dict[str, Any]] = []

    @app.get(OPENAPI_PATH, access=PUBLIC)
    def openapi_json():
        if not built:
            built.append(openapi_document(app))
        return built[0]
