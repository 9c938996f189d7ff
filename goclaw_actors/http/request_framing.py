"""How much of a request's framing the gateway trusts (HTTP/1.1 message length, RFC 9112 §6).

`framing_problem` refuses the header combinations a front proxy and this server could read differently
(request smuggling): conflicting or malformed `Content-Length`, `Content-Length` together with
`Transfer-Encoding`, or a transfer coding other than `chunked`; `header_problem` refuses header lines a
strict parser would read differently (no colon, a name that is not a token, control characters, folding).
`drain_unread` disposes of a body
the application never read (a refused request): read and dropped, within bounds, so the client gets
its answer; past them the connection is closed instead of read.
"""

from typing import Any

import gevent

DRAIN_LIMIT = 16 * 1024 * 1024  # bytes of an unread body read and dropped before closing instead
DRAIN_SECONDS = 5.0
DRAIN_CHUNK = 64 * 1024
MAX_CONCURRENT_DRAINS = 16  # unread bodies drained at once; more are closed at once
DEFAULT_HEAD_TIMEOUT_SECONDS = 30.0  # gateway.request_head_timeout_seconds
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class HeadTimeout(Exception):
    """A request line or its headers did not arrive within `gateway.request_head_timeout_seconds`."""


def framing_problem(content_lengths: list[str], transfer_encodings: list[str]) -> str | None:
    """Why a request's length headers are refused, or None when they are unambiguous."""
    if transfer_encodings:
        if content_lengths:
            return "Content-Length together with Transfer-Encoding"
        if len(transfer_encodings) != 1 or transfer_encodings[0].strip().lower() != "chunked":
            return "unsupported Transfer-Encoding"
    values = {value.strip() for value in content_lengths}
    if len(values) > 1:
        return "conflicting Content-Length headers"
    if any(not (value.isascii() and value.isdigit()) for value in values):
        return "invalid Content-Length"
    return None


def header_problem(headers: Any) -> str | None:
    """Why parsed request headers are refused, or None: lines that are not `name: value`, a name that is not
    an HTTP token, a value with control characters, or a folded (obs-fold) value (RFC 9110 §5, RFC 9112 §5)."""
    if getattr(headers, "defects", None):
        return "malformed header line"
    for name, value in headers.items():
        if not name or not set(name) <= _TOKEN_CHARS:
            return "invalid header name"
        if "\n" in value or "\r" in value:
            return "folded header value"
        if any(ord(char) < 32 and char != "\t" or ord(char) == 127 for char in value):
            return "control character in a header value"
    return None


def has_body(environ: dict[str, Any]) -> bool:
    """Whether the request announced a body (a non-zero `Content-Length`, or chunked)."""
    length = (environ.get("CONTENT_LENGTH") or "0").strip()
    return (length.isdigit() and int(length) > 0) or "HTTP_TRANSFER_ENCODING" in environ


def drain_unread(stream: Any) -> bool:
    """Read and drop what is left of a body, up to DRAIN_LIMIT bytes in DRAIN_SECONDS; True when it ended."""
    total = 0
    with gevent.Timeout(DRAIN_SECONDS, False):
        try:
            while total <= DRAIN_LIMIT:
                chunk = stream.read(DRAIN_CHUNK)
                if not chunk:
                    return True
                total += len(chunk)
        except (OSError, ValueError):  # broken chunking or a reset: nothing more to read
            return False
    return False
