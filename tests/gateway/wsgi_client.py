"""Calling the daemon's WSGI application in process, with the environ gevent's server would build.

The path goes through the same unquoting as gevent.pywsgi (raw bytes as latin-1 text), so odd path forms
(percent-encoding, invalid UTF-8) arrive as they would from a socket. Each call comes from its own
client address unless told otherwise, so refusals of one do not rate-limit the next.
"""

import io
import itertools
from dataclasses import dataclass
from typing import Any, Callable

from gevent.pywsgi import unquote_latin1

_addresses = (f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}" for i in itertools.count(1))


@dataclass
class Answer:
    """Status code, headers and body of one in-process call."""

    status: int
    headers: dict[str, str]
    body: bytes


def call(app: Callable, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b"",
         remote_addr: str | None = None) -> Answer:
    """Run one request through `app`; `target` is the raw request target (path and query, as on the wire)."""
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": unquote_latin1(path), "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "0", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": remote_addr or next(_addresses), "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None):
        started["status"], started["headers"] = int(status.split(" ", 1)[0]), dict(response_headers)
        return lambda data: None

    result = app(environ, start_response)
    try:
        data = b"".join(part if isinstance(part, bytes) else part.encode() for part in result)
    finally:
        getattr(result, "close", lambda: None)()
    return Answer(started["status"], started["headers"], data)
