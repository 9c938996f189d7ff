"""The system log: JSON lines in logs/system.jsonl and on stdout (SPEC §11.1).

Built on the standard `logging` package: `configure_logging` installs a JSON formatter on the
`goclaw` logger; `get_logger(component)` returns a small adapter taking attributes as keywords.
"""

import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from goclaw_actors.errors import StartupError
from goclaw_actors.file_modes import ensure_private_file, make_private_dir
from goclaw_actors.redaction import redact_text, redact_value

ROOT_LOGGER = "goclaw"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
_LEVEL_NAMES = {logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARN", logging.ERROR: "ERROR",
                logging.CRITICAL: "ERROR"}
_STD_RECORD_KEYS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: timestamp, level, msg, component, trace_id, then attributes."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": _LEVEL_NAMES.get(record.levelno, record.levelname),
            "msg": redact_text(record.getMessage()),
            "component": getattr(record, "component", None) or _component_of(record.name),
            "trace_id": getattr(record, "trace_id", None) or "-",
        }
        attrs = dict(getattr(record, "attrs", None) or {})
        attrs.update({k: v for k, v in vars(record).items()
                      if k not in _STD_RECORD_KEYS and k not in ("attrs", "component", "trace_id")})
        if record.exc_info:
            attrs["error"] = attrs.get("error") or self.formatException(record.exc_info)
        for key, value in attrs.items():
            if key not in line:
                line[key] = redact_value(key, value)
        return json.dumps(line, default=str, ensure_ascii=False)


def _component_of(logger_name: str) -> str:
    parts = logger_name.split(".", 1)
    return parts[1] if len(parts) == 2 and parts[0] == ROOT_LOGGER else "runtime"


class Logger:
    """A component's logger: `log.info("msg", key=value, trace_id=...)`."""

    def __init__(self, component: str):
        self.component = component
        self._logger = logging.getLogger(f"{ROOT_LOGGER}.{component}")

    def log(self, level: str, msg: str, trace_id: str | None = None, **attrs: Any) -> None:
        """Write one line at `level` (debug, info, warn, error)."""
        levelno = LEVELS[level]
        if self._logger.isEnabledFor(levelno):
            self._logger.log(levelno, msg, extra={"attrs": attrs, "component": self.component,
                                                  "trace_id": trace_id})

    def debug(self, msg: str, **attrs: Any) -> None:
        """Write a DEBUG line."""
        self.log("debug", msg, **attrs)

    def info(self, msg: str, **attrs: Any) -> None:
        """Write an INFO line."""
        self.log("info", msg, **attrs)

    def warn(self, msg: str, **attrs: Any) -> None:
        """Write a WARN line."""
        self.log("warn", msg, **attrs)

    def error(self, msg: str, **attrs: Any) -> None:
        """Write an ERROR line."""
        self.log("error", msg, **attrs)


def get_logger(component: str = "runtime") -> Logger:
    """The logger of a component (its lines carry `"component": component`)."""
    return Logger(component)


def configure_logging(home: Path | None, level: str = "info", to_stdout: bool = True) -> None:
    """Send the `goclaw` logger to logs/system.jsonl under `home` (and stdout); raises E_LOGGER_INIT."""
    root = logging.getLogger(ROOT_LOGGER)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter = JsonFormatter()
    handlers: list[logging.Handler] = []
    if home is not None:
        try:
            make_private_dir(home / "logs")
            ensure_private_file(home / "logs" / "system.jsonl")
            handlers.append(logging.FileHandler(home / "logs" / "system.jsonl", encoding="utf-8"))
        except OSError as exc:
            raise StartupError("E_LOGGER_INIT", f"cannot open {home / 'logs' / 'system.jsonl'}: {exc}") from exc
    if to_stdout:
        handlers.append(logging.StreamHandler(sys.stdout))
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(LEVELS.get(level, logging.INFO))
    root.propagate = False


def set_log_level(level: str) -> None:
    """Change the level of the system log (debug, info, warn, error) while it runs."""
    logging.getLogger(ROOT_LOGGER).setLevel(LEVELS.get(level, logging.INFO))


def writes_to_stdout() -> bool:
    """Whether the system log goes to stdout (the daemon owns it; not under the dashboard)."""
    return any(getattr(handler, "stream", None) is sys.stdout for handler in logging.getLogger(ROOT_LOGGER).handlers)


def is_configured() -> bool:
    """Whether configure_logging has installed handlers."""
    return bool(logging.getLogger(ROOT_LOGGER).handlers)


def write_startup_failure(reason_code: str, error: str, home: Path | None) -> None:
    """Log `"msg":"startup failure"` with its reason code, even if logging was never configured."""
    if not is_configured():
        try:
            configure_logging(home, "info", to_stdout=True)
        except StartupError:
            configure_logging(None, "info", to_stdout=True)
    get_logger("runtime").error("startup failure", reason_code=reason_code, error=error)
    flush_logs()


def flush_logs() -> None:
    """Flush every handler of the system log."""
    for handler in logging.getLogger(ROOT_LOGGER).handlers:
        handler.flush()
