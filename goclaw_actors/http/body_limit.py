"""Outermost gateway middleware: refuse request bodies over `gateway.max_request_size` (413)."""

import io
from typing import Any, Callable

from goclaw_actors.http.security_settings import SecuritySettings
from goclaw_actors.http.wsgi_responses import respond

TOO_LARGE = "request body too large\n"
READ_CHUNK = 64 * 1024


class BodyLimit:
    """Checks `Content-Length` up front; a chunked body is read here, at most one byte past the limit,
    and handed on as a plain sized body (so bottle never parses the chunking a second time).
    """

    def __init__(self, app: Callable, settings: Callable[[], SecuritySettings]):
        self.app = app
        self.settings = settings

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        limit = self.settings().max_request_size
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.strip():
            try:
                length = int(declared)
            except ValueError:
                return respond(start_response, 400, "invalid Content-Length\n")
            if length > limit:
                return respond(start_response, 413, TOO_LARGE)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                return respond(start_response, 413, TOO_LARGE)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
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
