"""`read_file`, `list_directory`, `write_file`, `edit_file` (SPEC §5.1), jailed by the path policy (§5.3)."""

from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.path_jail import JailedPath, allowed_roots, jail, list_entries, read_bytes, write_bytes
from goclaw_actors.tools.tool_env import ToolEnv

MAX_READ_BYTES = 100 * 1024
MAX_EDIT_BYTES = 10 * 1024 * 1024
MAX_ENTRIES = 200

PATH_ONLY = {"type": "object", "properties": {"path": {"type": "string", "minLength": 1}}, "required": ["path"],
             "additionalProperties": False}
WRITE_SCHEMA = {"type": "object", "properties": {"path": {"type": "string", "minLength": 1},
                                                 "content": {"type": "string"}},
                "required": ["path", "content"], "additionalProperties": False}
EDIT_SCHEMA = {"type": "object", "properties": {"path": {"type": "string", "minLength": 1},
                                                "old_text": {"type": "string", "minLength": 1},
                                                "new_text": {"type": "string"}},
               "required": ["path", "old_text", "new_text"], "additionalProperties": False}


def target(env: ToolEnv, raw: str) -> JailedPath:
    """`raw` checked against the policy's `allow_paths` (the workspace when none), relative to the workspace."""
    return jail(raw, allowed_roots(env.policy().paths, env.workspace), env.workspace)


def read_text(path: JailedPath, limit: int) -> tuple[str, bool]:
    """The file's text (UTF-8, undecodable bytes replaced) up to `limit` bytes, and whether it was longer."""
    data = read_bytes(path, limit)
    return data[:limit].decode("utf-8", errors="replace"), len(data) > limit


def read_file(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """The file's text, at most 100 KB (longer files are cut with a note)."""
    text, longer = read_text(target(env, arguments["path"]), MAX_READ_BYTES)
    return text + (f"\n\n[File truncated at {MAX_READ_BYTES} bytes]" if longer else "")


def list_directory(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """The directory's entries sorted by name, directories marked with `/`, at most 200."""
    entries = sorted(list_entries(target(env, arguments["path"])))
    lines = [name + ("/" if is_dir else "") for name, is_dir in entries[:MAX_ENTRIES]]
    if len(entries) > MAX_ENTRIES:
        lines.append(f"... ({len(entries) - MAX_ENTRIES} more entries)")
    return "\n".join(lines) if lines else "(empty directory)"


def write_file(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Replace (or create) the file atomically; parent directories are created."""
    path = target(env, arguments["path"])
    data = arguments["content"].encode("utf-8")
    write_bytes(path, data)
    return f"wrote {len(data)} bytes to {path.path}"


def edit_file(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Replace the one occurrence of `old_text` with `new_text`; zero or several matches are an error."""
    path = target(env, arguments["path"])
    text, longer = read_text(path, MAX_EDIT_BYTES)
    if longer:
        raise ToolError(f"{path.path} is larger than {MAX_EDIT_BYTES} bytes")
    matches = text.count(arguments["old_text"])
    if matches != 1:
        raise ToolError(f"old_text must match exactly once in {path.path}; it matches {matches} times")
    write_bytes(path, text.replace(arguments["old_text"], arguments["new_text"], 1).encode("utf-8"))
    return f"edited {path.path}"
