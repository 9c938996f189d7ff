"""The ACP check order (SPEC §9.3) and the call of a method's handler.

For each text message: the caller's rate-limit bucket empty ⇒ 4290 `rate limit exceeded`; not JSON (or
nested too deep to read) ⇒ -32700 (the socket stays open); a JSON object the gateway does not accept
(a lone surrogate, deep nesting inside params) ⇒ 1000 naming the problem, answered by its id; not a
JSON-RPC 2.0 request ⇒ -32600; a mutating method before `system.hello` ⇒ -32600; the method's capability
(`acp.mutate` for mutating methods, else `acp.read`) missing from the policy ⇒ 1000, audited; unknown
method ⇒ -32601; a daemon-wide method called with a key scoped to agents ⇒ 1000. A request without `id`
is executed but never answered. An unexpected failure answers -32603 `internal error`; its detail goes
to the log only.

Every method declares its scope (goclaw_actors/http/route_access.py `Scope`): `AGENTS` methods check the
agents of the data they touch against the caller's key, `DAEMON` methods are for the daemon token and
unscoped keys only.
"""

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from goclaw_actors import telemetry
from goclaw_actors.errors import StoreError
from goclaw_actors.http.acp.connection import AcpConnection
from goclaw_actors.http.acp.errors import (
    INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, RATE_LIMITED, AcpError, ConnectionGone,
    invalid,
)
from goclaw_actors.http.json_input import InvalidJson, parse_json, rpc_id
from goclaw_actors.http.route_access import Scope
from goclaw_actors.logs.system_log import get_logger

MUTATE = "acp.mutate"
READ = "acp.read"
DENY_REASON = "missing_capability"

log = get_logger("acp")


@dataclass
class Call:
    """One request being served: its params, its socket, and work to do once it is answered."""

    conn: AcpConnection
    method: str
    params: dict[str, Any]
    after_response: list[Callable[[], None]] = field(default_factory=list)

    @property
    def ctx(self):
        """The gateway context (the daemon)."""
        return self.conn.ctx

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification on this request's socket."""
        self.conn.notify(method, params)


@dataclass(frozen=True)
class Method:
    """A method's handler (`handler(call) -> result`), its scope (whose data it touches, required), and
    whether it changes state (needs hello, acp.mutate)."""

    handler: Callable[[Call], Any]
    scope: Scope
    mutating: bool = False

    @property
    def capability(self) -> str:
        """The policy capability the method needs."""
        return MUTATE if self.mutating else READ


class Dispatcher:
    """Serves one request text on a connection: checks, handler, answer."""

    def __init__(self, methods: dict[str, Method]):
        self.methods = methods

    def __call__(self, conn: AcpConnection, raw: str) -> None:
        refusal = None
        try:
            message = parse_json(raw)
        except InvalidJson as exc:
            message, refusal = _unacceptable(raw), exc
        if not conn.admit():  # every message counts, answerable or not
            telemetry.rate_limited("acp")
            conn.reply(_error(rpc_id(message), RATE_LIMITED, "rate limit exceeded"))
            return
        if refusal is not None:
            if message is None:  # not JSON at all
                conn.reply(_error(None, PARSE_ERROR, "parse error"))
            elif "id" in message:  # JSON, but holding text the daemon refuses (e.g. a lone surrogate)
                conn.reply(_error(rpc_id(message), INVALID_PARAMS, str(refusal)))
            return
        if not _is_request(message):
            conn.reply(_error(rpc_id(message), INVALID_REQUEST, "invalid JSON-RPC request"))
            return
        answered = "id" in message
        call = Call(conn, message["method"], message.get("params") if isinstance(message.get("params"), dict) else {})
        try:
            result = telemetry.acp_call(call.method if call.method in self.methods else "_OTHER", self.serve, call)
        except AcpError as exc:
            if answered:
                conn.reply(_error(message["id"], exc.code, exc.message))
            return
        if answered:
            conn.reply({"jsonrpc": "2.0", "id": message["id"], "result": result})
        for then in call.after_response:
            then()

    def serve(self, call: Call) -> Any:
        """Check and run one call (the checks above after the framing ones); its result, or AcpError."""
        method = self.methods.get(call.method)
        if method is not None and method.mutating and not call.conn.hello:
            raise AcpError(INVALID_REQUEST, "system.hello required before mutating calls")
        capability = method.capability if method is not None else READ
        if not call.ctx.policy().allows(capability):
            self._audit_denial(call, capability)
            raise invalid(f'policy denied capability "{capability}"')
        if method is None:
            raise AcpError(METHOD_NOT_FOUND, f"method not found: {call.method}")
        if method.scope is Scope.DAEMON and not call.conn.principal.daemon_wide:
            raise invalid(f'api key not permitted for method "{call.method}"')
        try:
            return method.handler(call)
        except (AcpError, ConnectionGone):
            raise
        except StoreError as exc:
            raise AcpError(INTERNAL_ERROR, str(exc)) from exc
        except Exception as exc:
            log.error("acp method failed", method=call.method, error=repr(exc))
            raise AcpError(INTERNAL_ERROR, "internal error") from exc

    @staticmethod
    def _audit_denial(call: Call, capability: str) -> None:
        try:
            call.ctx.audit("deny", capability, DENY_REASON, subject=call.method)
        except Exception as exc:  # the denial stands even when it cannot be recorded
            log.error("audit of an ACP denial failed", method=call.method, error=repr(exc))


def _unacceptable(raw: str) -> dict[str, Any] | None:
    """The request parse_json refused, when it is at least a JSON object (so it can be answered by id)."""
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


def _is_request(message: Any) -> bool:
    """A JSON-RPC 2.0 request: a method name, and an id (when there is one) that is a string, a number or null."""
    return (isinstance(message, dict) and message.get("jsonrpc") == "2.0"
            and isinstance(message.get("method"), str) and bool(message["method"])
            and rpc_id(message) == message.get("id"))


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
