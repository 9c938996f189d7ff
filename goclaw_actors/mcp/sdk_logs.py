"""The `mcp` SDK's own log records (and the asyncio loop's) as lines of the system log, component `mcp`.

Without this they would reach stderr through Python's last-resort handler, tracebacks included.
A record keeps its message and the one-line error; the level is at most WARN, since every failure the SDK
reports is also handled (and logged) by the client.
"""

import logging
from typing import Any

from goclaw_actors.logs.system_log import get_logger

SDK_LOGGERS = ("mcp", "httpx2", "httpcore2")

log = get_logger("mcp")


class _ToSystemLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        log.warn(f"MCP SDK: {record.getMessage()}", logger=record.name,
                 error=(str(error) or type(error).__name__) if error is not None else None)


def route_sdk_logs() -> None:
    """Send WARNING and above of the SDK's loggers to the system log (once)."""
    for name in SDK_LOGGERS:
        sdk = logging.getLogger(name)
        if not any(isinstance(handler, _ToSystemLog) for handler in sdk.handlers):
            sdk.addHandler(_ToSystemLog(logging.WARNING))
            sdk.setLevel(logging.WARNING)
            sdk.propagate = False


def loop_exception(loop: Any, context: dict[str, Any]) -> None:
    """The asyncio loop's exception handler: one system log line instead of a traceback on stderr."""
    error = context.get("exception")
    log.warn(f"MCP asyncio loop: {context.get('message', 'error')}",
             error=(str(error) or type(error).__name__) if error is not None else None)
