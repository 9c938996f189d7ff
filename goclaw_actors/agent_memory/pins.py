"""Pins (SPEC §6): a file (text, at most 50 KB, inside the path policy's roots) or a labelled text kept in an
agent's prompt as `<pinned_context>`.

    pin = read_file_pin(path, roots, workspace)     # FilePin(source, content, mtime) or PinError
    text = pinned_text(pins)                         # the block's body: `--- <name> ---` then the content

A file pin's `source` is its resolved absolute path; a text pin's is its label.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from goclaw_actors.config.text_values import check_text
from goclaw_actors.errors import ConfigError
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.path_jail import JailedPath, allowed_roots, jail, read_bytes

MAX_FILE_BYTES = 50 * 1024
MAX_LABEL = 64
MAX_TEXT = MAX_FILE_BYTES  # a text pin holds at most what a file pin may
FILE = "file"
TEXT = "text"


class PinError(ValueError):
    """A pin that cannot be made or refreshed; the message says why."""


@dataclass(frozen=True)
class FilePin:
    """A pinned file as read now: where it is, its text, and its modification time (ns, as text)."""

    source: str
    content: str
    mtime: str


def token_count(content: str) -> int:
    """ceil(characters / 4)."""
    return math.ceil(len(content) / 4)


def check_label(label: Any) -> str:
    """A text pin's label: 1 to 64 characters without whitespace, `/` or control characters."""
    if not isinstance(label, str) or not label.strip():
        raise PinError("label is required")
    label = label.strip()
    if any(char.isspace() for char in label) or "/" in label:
        raise PinError("label must not contain whitespace or /")
    return _checked(label, "label", MAX_LABEL, False)


def check_pin_text(text: Any) -> str:
    """A text pin's content: non-empty text of at most 50 KB."""
    if not isinstance(text, str) or not text.strip():
        raise PinError("text is required")
    return _checked(text.strip(), "text", MAX_TEXT, True)


def _checked(text: str, name: str, limit: int, multiline: bool) -> str:
    try:
        return check_text(text, name, limit, multiline=multiline)
    except ConfigError as exc:
        raise PinError(str(exc)) from None


def pin_roots(home: Path, allow_paths: Iterable[str]) -> tuple[list[Path], Path]:
    """(the roots a pinned file must lie in, the workspace relative paths start from): the policy's
    `allow_paths`, else only `$GOCLAW_HOME/workspace` (as for the file tools, SPEC §5.3)."""
    workspace = Path(home) / "workspace"
    return allowed_roots(allow_paths, workspace), workspace


def file_target(path: str, roots: list[Path], workspace: Path) -> JailedPath:
    """The file `path` names (relative to the workspace), checked against the path policy's roots; raises
    PolicyDenied (`path_denied`) outside them."""
    return jail(path, roots, workspace)


def read_file_pin(target: JailedPath) -> FilePin:
    """The pinned file's content now; PinError when it is missing, not a file, larger than 50 KB or not
    UTF-8 text."""
    try:
        mtime = os.stat(target.path).st_mtime_ns
        data = read_bytes(target, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise PinError(f"file not found: {target.path}") from None
    except (ToolError, OSError) as exc:
        raise PinError(f"cannot read {target.path}: {exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise PinError(f"file too large: {target.path} (more than {MAX_FILE_BYTES} bytes)")
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PinError(f"not a text file: {target.path}") from None
    if "\x00" in content:
        raise PinError(f"not a text file: {target.path}")
    return FilePin(str(target.path), content, str(mtime))


def pin_name(pin: dict[str, Any]) -> str:
    """How a pin is named in a prompt: a file's base name, a text pin's label."""
    return os.path.basename(pin["source"]) if pin["pin_type"] == FILE else pin["source"]


def pin_section(pin: dict[str, Any]) -> str:
    """`--- <name> ---` and the pin's content."""
    return f"--- {pin_name(pin)} ---\n{pin['content']}"


def pinned_text(pins: Iterable[dict[str, Any]]) -> str:
    """The body of the `<pinned_context>` block ("" without pins)."""
    return "\n".join(pin_section(pin) for pin in pins)


def find_pin(pins: list[dict[str, Any]], name: str, resolved: str | None = None) -> dict[str, Any] | None:
    """The pin `name` designates: its exact source, the resolved path of a file, else the one pin whose
    prompt name (base name or label) it is."""
    for pin in pins:
        if pin["source"] in (name, resolved):
            return pin
    named = [pin for pin in pins if pin_name(pin) == name]
    return named[0] if len(named) == 1 else None
