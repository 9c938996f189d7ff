"""Answering a request directly from WSGI middleware (before bottle sees it)."""

import json
from http import HTTPStatus
from typing import Any, Callable, Iterable

TEXT_PLAIN = "text/plain; charset=utf-8"
APPLICATION_JSON = "application/json"


def respond(start_response: Callable, code: int, body: str | bytes = b"", content_type: str = TEXT_PLAIN,
            headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    """Start a `code` response with `body` and return the WSGI body iterable."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    response_headers = [("Content-Type", content_type), ("Content-Length", str(len(data))), *headers]
    if code == 204:
        response_headers = [(name, value) for name, value in response_headers
                            if name not in ("Content-Type", "Content-Length")]
    start_response(f"{code} {HTTPStatus(code).phrase}", response_headers)
    return [data]


def respond_json(start_response: Callable, code: int, document: Any,
                 headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    """Start a `code` response whose body is `document` as compact JSON."""
    return respond(start_response, code, json.dumps(document, separators=(",", ":")), APPLICATION_JSON, headers)
