"""The built-in tools by name and the capability each needs (SPEC §5.1); no tool code is imported here."""

TOOL_CAPABILITIES = {
    "web_search": "tools.web_search",
    "read_url": "tools.read_url",
    "read_file": "tools.read_file",
    "list_directory": "tools.read_file",
    "write_file": "tools.write_file",
    "edit_file": "tools.write_file",
    "exec": "tools.exec",
    "spawn_task": "tools.spawn_task",
    "delegate_task": "tools.delegate_task",
    "delegate_task_async": "tools.delegate_task_async",
    "send_message": "tools.send_message",
    "read_messages": "tools.read_messages",
    "memory_read": "tools.memory_read",
    "memory_write": "tools.memory_write",
    "memory_search": "tools.memory_read",
    "send_alert": "tools.send_alert",
    "price_comparison": "tools.price_comparison",
    "use_skill": "skill.inject",
}
BUILTIN_TOOLS = frozenset(TOOL_CAPABILITIES)
