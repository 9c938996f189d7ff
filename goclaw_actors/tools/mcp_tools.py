"""MCP tools as an agent's tools (SPEC §5.1, §8.4): `mcp_<server>_<tool>` with the server's description and
input schema, capability `tools.mcp`, and each call checked against the policy's `mcp.rules` for the
calling agent. They take the same guarded path as built-in tools (audit, exactly-once dedup as
side-effecting tools, `require_approval`).

    tools = server_tools("github", listed, call, policy)   # [Tool, ...]
"""

from typing import TYPE_CHECKING, Any, Callable

from goclaw_actors.brain.providers.base import ToolSpec
from goclaw_actors.brain.tools import Tool, ToolContext
from goclaw_actors.mcp.tool_names import exposed_names

if TYPE_CHECKING:  # the MCP SDK loads only when a server is configured
    from goclaw_actors.mcp.session import ToolInfo

CAPABILITY = "tools.mcp"
MAX_DESCRIPTION = 1024
EMPTY_OBJECT = {"type": "object", "properties": {}}

CallTool = Callable[[str, dict[str, Any]], str]
"""`call(tool_name, arguments)`: the server's answer as text for the model, or an exception."""


def server_tools(server: str, listed: "tuple[ToolInfo, ...]", call: CallTool, policy: Callable[[], Any],
                 warn: Callable[..., None] = lambda msg, **attrs: None) -> list[Tool]:
    """The Tools of one server's listing; `policy()` is the Policy in force at each call."""
    by_name = {info.name: info for info in listed}
    tools = []
    for exposed, name in exposed_names(server, list(by_name)).items():
        info = by_name[name]
        description = f"[MCP {server}] {info.description}".strip()[:MAX_DESCRIPTION]
        spec = ToolSpec(exposed, description, input_schema(info.input_schema, server, name, warn))
        tools.append(Tool(spec, CAPABILITY, _runner(call, name), refusal=_rules(server, name, policy)))
    return tools


def input_schema(schema: dict[str, Any], server: str, tool: str, warn: Callable[..., None]) -> dict[str, Any]:
    """The tool's input schema, made an object schema; one that is not a valid JSON schema becomes an empty
    object schema (the server still checks the arguments)."""
    import jsonschema  # imported on use, as in brain/tools.py

    schema = dict(schema or {})
    schema.setdefault("type", "object")
    if schema.get("type") == "object":
        schema.setdefault("properties", {})
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        warn("MCP tool schema is not valid JSON schema; arguments are not checked here", server=server,
             tool=tool, error=exc.message)
        return dict(EMPTY_OBJECT)
    if schema.get("type") != "object":
        warn("MCP tool schema is not an object schema; arguments are not checked here", server=server, tool=tool)
        return dict(EMPTY_OBJECT)
    return schema


def _runner(call: CallTool, name: str) -> Callable[[dict[str, Any], ToolContext], str]:
    def run(arguments: dict[str, Any], context: ToolContext) -> str:
        return call(name, arguments)

    return run


def _rules(server: str, name: str, policy: Callable[[], Any]) -> Callable[[str], str | None]:
    def refusal(agent_id: str) -> str | None:
        if policy().mcp_allows(agent_id, server, name):
            return None
        return f'policy denied MCP tool "{name}" of server "{server}" for agent "{agent_id}"'

    return refusal
