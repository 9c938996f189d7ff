"""The heartbeat (SPEC §10): a periodic review of `workspace/HEARTBEAT.md` as a durable task, its reply appended
to `workspace/HEARTBEAT_RESULTS.md` exactly once.

A beat belongs to a slot (`floor(now / interval)`); its task carries the key `heartbeat:<interval>:<slot>`,
so a slot never enqueues twice. Each appended reply carries its task id in a marker line, and the file is
replaced atomically, so a reply is appended once even when the daemon dies between appending and recording.
"""

import json
import re
from pathlib import Path
from typing import Any

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.timeutil import rfc3339

HEARTBEAT_FILE = "HEARTBEAT.md"
RESULTS_FILE = "HEARTBEAT_RESULTS.md"
HEARTBEAT_SESSION = "00000000-0000-0000-0000-000000000000"
HEARTBEAT_TASK = "heartbeat"
HEARTBEAT_AGENT = "default"
HEARTBEAT_SOURCE = "heartbeat"
MAX_CHECKLIST_CHARS = 32_000  # of HEARTBEAT.md put in the prompt
RESULTS_HEADER = "# Heartbeat results\n"
_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.DOTALL)


def has_content(text: str) -> bool:
    """Whether HEARTBEAT.md holds anything beyond blank lines, headings and HTML comments."""
    return any(line.strip() and not line.lstrip().startswith("#") for line in _COMMENT.sub("", text).splitlines())


def read_checklist(workspace: Path) -> str | None:
    """HEARTBEAT.md's text when it has content (see has_content), else None (also when missing or unreadable)."""
    try:
        text = (workspace / HEARTBEAT_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return text if has_content(text) else None


def heartbeat_prompt(checklist: str) -> str:
    """What the `default` agent is asked at a beat."""
    if len(checklist) > MAX_CHECKLIST_CHARS:
        checklist = checklist[:MAX_CHECKLIST_CHARS] + "\n[HEARTBEAT.md truncated]"
    return ("Heartbeat: review your checklist in workspace/HEARTBEAT.md below and act on what is due. "
            "Reply with what you did and anything that needs attention.\n\n" + checklist)


def slot_of(now: float, interval_seconds: float) -> int:
    """The slot an epoch time falls in."""
    return int(now // interval_seconds)


def beat_key(interval_seconds: float, slot: int) -> str:
    """The idempotency key of a slot's heartbeat task."""
    return f"heartbeat:{interval_seconds:g}:{slot}"


def heartbeat_payload(checklist: str, slot: int) -> dict[str, Any]:
    """The payload of a beat's task."""
    return {"content": heartbeat_prompt(checklist), "source": HEARTBEAT_SOURCE, "heartbeat": {"slot": slot}}


def result_marker(task_id: str) -> str:
    """The line that shows a task's reply is in the results file."""
    return f"<!-- heartbeat task {task_id} -->"


def reply_text(result: str | None) -> str:
    """The reply of a stored task result."""
    try:
        value = json.loads(result) if result else {}
    except ValueError:
        return result or ""
    reply = value.get("reply") if isinstance(value, dict) else None
    return reply if isinstance(reply, str) else ""


def append_result(workspace: Path, task_id: str, finished_at: str, reply: str) -> bool:
    """Append a beat's reply under a `## <timestamp>` header to HEARTBEAT_RESULTS.md, unless it is there
    already; True when appended."""
    path = workspace / RESULTS_FILE
    try:
        current = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        current = RESULTS_HEADER
    marker = result_marker(task_id)
    if marker in current:
        return False
    separator = "" if not current or current.endswith("\n\n") else ("\n" if current.endswith("\n") else "\n\n")
    write_atomic(path, f"{current}{separator}## {rfc3339(finished_at)}\n{marker}\n\n{reply.rstrip()}\n")
    return True
