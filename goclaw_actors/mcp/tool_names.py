"""The names MCP tools have for the model: `mcp_<server>_<tool>`, made acceptable to every provider.

OpenAI and Anthropic accept `^[A-Za-z0-9_-]{1,64}$` and Gemini wants a letter or `_` first: every other
character becomes `_`, and a name that would be longer than 64 characters, or that two tools of one server
would share after that, is shortened and given 8 hex digits of the original name's sha256.

    exposed_names("git hub", ["create.issue", "list"])  # {"mcp_git_hub_create_issue": "create.issue", ...}
"""

import hashlib
import re

PREFIX = "mcp_"
MAX_NAME = 64
HASH_DIGITS = 8
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def exposed_name(server: str, tool: str) -> str:
    """The provider-safe name of `tool` of `server` (without collision handling)."""
    name = PREFIX + _UNSAFE.sub("_", server) + "_" + _UNSAFE.sub("_", tool)
    return name if len(name) <= MAX_NAME else _hashed(name, server, tool)


def exposed_names(server: str, tools: list[str]) -> dict[str, str]:
    """{model-facing name: the server's tool name} for every tool of `server`, all distinct."""
    names: dict[str, str] = {}
    for tool in tools:
        name = exposed_name(server, tool)
        if name in names and names[name] != tool:
            name = _hashed(name, server, tool)
        names[name] = tool
    return names


def _hashed(name: str, server: str, tool: str) -> str:
    digest = hashlib.sha256(f"{server}\0{tool}".encode("utf-8", "surrogatepass")).hexdigest()[:HASH_DIGITS]
    return name[:MAX_NAME - HASH_DIGITS - 1] + "_" + digest
