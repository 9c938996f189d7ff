"""`memory_read`, `memory_write`, `memory_search` (SPEC §5.1): an agent's notes as files in the workspace.

Every path is confined to `$GOCLAW_HOME/workspace` whatever `allow_paths` says. Writes (also appends)
replace the file atomically, so a note is never half written.
"""

import os
from pathlib import Path
from typing import Any, Iterator

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.tools.file_tools import MAX_EDIT_BYTES, MAX_READ_BYTES, read_text
from goclaw_actors.tools.errors import PolicyDenied, ToolError
from goclaw_actors.tools.path_jail import JailedPath, allowed_roots, jail, write_bytes
from goclaw_actors.tools.tool_env import ToolEnv

MAX_HITS = 20
MAX_SEARCH_FILE_BYTES = 1024 * 1024
READ_SCHEMA = {"type": "object", "properties": {"path": {"type": "string", "minLength": 1}}, "required": ["path"],
               "additionalProperties": False}
WRITE_SCHEMA = {"type": "object", "properties": {"path": {"type": "string", "minLength": 1},
                                                 "content": {"type": "string"}, "append": {"type": "boolean"}},
                "required": ["path", "content"], "additionalProperties": False}
SEARCH_SCHEMA = {"type": "object", "properties": {"query": {"type": "string", "minLength": 1}},
                 "required": ["query"], "additionalProperties": False}


def memory_target(env: ToolEnv, raw: str) -> JailedPath:
    """`raw` inside the workspace (relative paths are relative to it)."""
    return jail(raw, allowed_roots([], env.workspace), env.workspace)


def memory_read(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """The note's text (at most 100 KB)."""
    text, longer = read_text(memory_target(env, arguments["path"]), MAX_READ_BYTES)
    return text + (f"\n\n[File truncated at {MAX_READ_BYTES} bytes]" if longer else "")


def memory_write(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Write the note, or append `content` to it with `append: true`."""
    path = memory_target(env, arguments["path"])
    content = arguments["content"]
    if arguments.get("append"):
        try:
            existing, longer = read_text(path, MAX_EDIT_BYTES)
        except PolicyDenied:
            raise
        except ToolError:
            existing, longer = "", False  # a note that does not exist yet starts empty
        if longer:
            raise ToolError(f"{path.path} is larger than {MAX_EDIT_BYTES} bytes")
        content = existing + content
    write_bytes(path, content.encode("utf-8"))
    verb = "appended to" if arguments.get("append") else "wrote"
    return f"{verb} {path.path.relative_to(path.root)} ({len(content.encode('utf-8'))} bytes)"


def memory_search(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Lines of the workspace's text files holding the query's words, best matches first (at most 20)."""
    terms = [term for term in arguments["query"].lower().split() if term]
    root = allowed_roots([], env.workspace)[0]
    hits = []
    for path in _text_files(root):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, 1):
            score = sum(term in line.lower() for term in terms)
            if score:
                hits.append((-score, str(path.relative_to(root)), number, line.strip()[:300]))
    hits.sort()
    if not hits:
        return f"no memory matches {arguments['query']!r}"
    return "\n".join(f"{path}:{number}: {line}" for _, path, number, line in hits[:MAX_HITS])


def _text_files(root: Path) -> Iterator[Path]:
    """Regular, not hidden files under root, at most 1 MiB each, without following symlinks."""
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(directory, name)
            if name.startswith(".") or path.is_symlink():
                continue
            try:
                if path.stat().st_size <= MAX_SEARCH_FILE_BYTES:
                    yield path
            except OSError:
                continue
