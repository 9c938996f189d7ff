"""Gateway middleware: request bodies over `gateway.max_request_size` (413), and reading the body once.

`BodyLimit` (outermost) refuses a declared `Content-Length` over the limit from the header alone.
`RequestBody` (innermost, after authentication and the rate limit) reads the body of an authenticated
request: a chunked one at most one byte past the limit, a sized one to its end; a body that ends early is a
400. The body of an anonymous request (an open route) is never read into memory. It hands the
routes a plain sized body, so no byte of a request is read before its caller was admitted.
"""

import io
from typing import Any, Callable

from goclaw_actors.http.client_gone import CLIENT_SOCKET_KEY, client_socket
from goclaw_actors.http.principal import current_principal
from goclaw_actors.http.security_settings import SecuritySettings
from goclaw_actors.http.wsgi_responses import respond

TOO_LARGE = "request body too large\n"
INCOMPLETE = "incomplete request body\n"
READ_CHUNK = 64 * 1024
BODY_READ_KEY = "goclaw.body_read"  # environ entry: the body was read (nothing is left to drain)
CLOSE = [("Connection", "close")]


def is_chunked(environ: dict[str, Any]) -> bool:
    """Whether the request body comes with `Transfer-Encoding: chunked`."""
    return environ.get("HTTP_TRANSFER_ENCODING", "").strip().lower() == "chunked"


def declared_length(environ: dict[str, Any]) -> int | None:
    """The `Content-Length` of the request (0 when absent), or None when it is not a number."""
    declared = (environ.get("CONTENT_LENGTH") or "").strip()
    if not declared:
        return 0
    return int(declared) if declared.isascii() and declared.isdigit() else None


class BodyLimit:
    """Refuses a declared body over the limit (413) and an unreadable `Content-Length` (400), unread."""

    def __init__(self, app: Callable, settings: Callable[[], SecuritySettings]):
        self.app = app
        self.settings = settings

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        length = declared_length(environ)
        if length is None:
            return respond(start_response, 400, "invalid Content-Length\n", headers=CLOSE)
        if length > self.settings().max_request_size:
            return respond(start_response, 413, TOO_LARGE, headers=CLOSE)
        return self.app(environ, start_response)


class RequestBody:
    """Reads the body of an admitted request into memory (bounded by the limit) before the routes run."""

    def __init__(self, app: Callable, settings: Callable[[], SecuritySettings]):
        self.app = app
        self.settings = settings

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        chunked, length = is_chunked(environ), declared_length(environ) or 0
        if not chunked and not length:
            return self.app(environ, start_response)
        if current_principal(environ).kind == "anonymous":
            # An open route (health, cards, the API description, a 404) takes no body: it is answered at
            # once, and the connection handler drains the unread body within bounds or closes instead.
            return self.app(environ, start_response)
        environ[CLIENT_SOCKET_KEY] = client_socket(environ)  # found only on the server's own input
        limit = self.settings().max_request_size
        try:
            body = _read_at_most(environ["wsgi.input"], limit + 1 if chunked else length)
        except (OSError, ValueError):  # broken chunking, or the client went away mid-body
            return respond(start_response, 400, INCOMPLETE, headers=CLOSE)
        environ[BODY_READ_KEY] = True
        if len(body) > limit:
            return respond(start_response, 413, TOO_LARGE, headers=CLOSE)
        if not chunked and len(body) < length:
            return respond(start_response, 400, INCOMPLETE, headers=CLOSE)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)


def _read_at_most(stream: Any, size: int) -> bytes:
    """Up to `size` bytes of `stream` (less only at its end)."""
    parts, total = [], 0
    while total < size:
        part = stream.read(min(READ_CHUNK, size - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)
