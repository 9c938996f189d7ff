"""Every built-in tool of an agent (SPEC §5.1), bound to the agent's ToolEnv."""

from functools import partial
from typing import Any, Callable

from goclaw_actors.brain.providers.base import ToolSpec
from goclaw_actors.brain.tools import Tool, ToolRegistry, ToolSource
from goclaw_actors.tools import (agent_messages, delegate_task, exec_tool, file_tools, memory_tools,
                                 price_comparison, read_url, send_alert, spawn_task, use_skill, web_search)
from goclaw_actors.tools.catalog import TOOL_CAPABILITIES
from goclaw_actors.tools.tool_env import ToolEnv

# What the model is told about each tool.
DESCRIPTIONS = {
    "web_search": "Search the web; returns up to 5 results as JSON {title, url, snippet}.",
    "read_url": "Fetch a web page (http/https) and return its readable text (at most 8000 characters).",
    "read_file": "Read a text file (at most 100 KB). Relative paths are relative to the workspace.",
    "list_directory": "List a directory's entries (sorted, at most 200; directories end with /).",
    "write_file": "Create or replace a file with the given content (parent directories are created).",
    "edit_file": "Replace the single occurrence of old_text with new_text in a file.",
    "exec": ("Run a shell command (no ';', '$(' or backticks; some commands are not allowed) in the workspace or "
             "working_dir; timeout_sec defaults to 30 (max 120). Returns the exit code and output."),
    "spawn_task": "Queue a subtask (for this agent or target_agent) that runs on its own; returns its task_id.",
    "delegate_task": ("Hand a task to another agent (target_agent, or the first agent with a capability) and wait "
                      "for its answer (timeout_sec, default 120); returns {task_id, status, result, error}."),
    "delegate_task_async": ("Hand a task to another agent without waiting; returns {delegation_id, status}. Its "
                            "result is given to you on your next turn in this session."),
    "send_message": "Send a message to another agent (it gets it as a task); returns the message id.",
    "read_messages": "Read the messages other agents sent you (unread ones, oldest first; limit default 10).",
    "memory_read": "Read a note from the workspace memory.",
    "memory_write": "Write a note to the workspace memory (append: true adds to it).",
    "memory_search": "Search the workspace memory for lines holding the query's words.",
    "send_alert": "Send an alert (severity info, warning or critical) to the operator.",
    "price_comparison": "Compare prices for a product from web search results, cheapest first.",
    "use_skill": "Load an installed skill's instructions for the rest of this turn.",
}

# Each tool's argument schema and function(env, arguments, context).
IMPLEMENTATIONS: dict[str, tuple[dict[str, Any], Callable[..., str]]] = {
    "web_search": (web_search.SCHEMA, web_search.web_search),
    "read_url": (read_url.SCHEMA, read_url.read_url),
    "read_file": (file_tools.PATH_ONLY, file_tools.read_file),
    "list_directory": (file_tools.PATH_ONLY, file_tools.list_directory),
    "write_file": (file_tools.WRITE_SCHEMA, file_tools.write_file),
    "edit_file": (file_tools.EDIT_SCHEMA, file_tools.edit_file),
    "exec": (exec_tool.SCHEMA, exec_tool.run_exec),
    "spawn_task": (spawn_task.SCHEMA, spawn_task.spawn_task),
    "delegate_task": (delegate_task.SYNC_SCHEMA, delegate_task.delegate_task),
    "delegate_task_async": (delegate_task.ASYNC_SCHEMA, delegate_task.delegate_task_async),
    "send_message": (agent_messages.SEND_SCHEMA, agent_messages.send_message),
    "read_messages": (agent_messages.READ_SCHEMA, agent_messages.read_messages),
    "memory_read": (memory_tools.READ_SCHEMA, memory_tools.memory_read),
    "memory_write": (memory_tools.WRITE_SCHEMA, memory_tools.memory_write),
    "memory_search": (memory_tools.SEARCH_SCHEMA, memory_tools.memory_search),
    "send_alert": (send_alert.SCHEMA, send_alert.send_alert),
    "price_comparison": (price_comparison.SCHEMA, price_comparison.price_comparison),
    "use_skill": (use_skill.SCHEMA, use_skill.use_skill),
}


def builtin_tools(env: ToolEnv, sources: list[ToolSource] = ()) -> ToolRegistry:
    """The registry of every built-in tool for one agent, then the tools of `sources` (MCP servers'), filtered
    by policy when offered and when called."""
    return ToolRegistry([Tool(ToolSpec(name, DESCRIPTIONS[name], schema), TOOL_CAPABILITIES[name], partial(run, env))
                         for name, (schema, run) in IMPLEMENTATIONS.items()], sources)
