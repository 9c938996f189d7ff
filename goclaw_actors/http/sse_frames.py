"""Server-sent events framing shared by the gateway's streams: unnamed `data:` events and ping comments."""

import json
from typing import Any, Callable, Iterable, Iterator

from goclaw_actors.logs.system_log import get_logger

PING = ": ping\n\n"  # a comment: keeps idle connections (and proxies) open, ignored by SSE parsers
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

log = get_logger("gateway")


def data_frame(value: Any) -> str:
    """One unnamed event: `data: <json>\\n\\n` (a str value is sent as is, e.g. `[DONE]`)."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return f"data: {text}\n\n"


def guarded(frames: Iterable[str], error_frames: Callable[[Exception], list[str]], **log_attrs: Any) -> Iterator[str]:
    """`frames`, ending with `error_frames(exc)` if producing them fails mid-stream (the cause is logged).

    A client that goes away closes the generator (GeneratorExit), which is not an error.
    """
    try:
        yield from frames
    except Exception as exc:  # noqa: BLE001 - the client gets an error event, the log gets the cause
        log.error("stream failed", error=repr(exc), **log_attrs)
        yield from error_frames(exc)
