"""`/remember`, `/forget` and `/memory` (SPEC §6, §12): the core memory of the agent the line is for."""

from typing import Any

from goclaw_actors.chat_commands.env import CommandEnv
from goclaw_actors.chat_commands.lines import Command
from goclaw_actors.chat_commands.spec import CommandSpec, bullets, usage

REMEMBER = "/remember <key> <value>"
FORGET = "/forget <key>"
MEMORY = "/memory [list | search <q> | delete <key> | clear]"


def _line(memory: dict[str, Any]) -> str:
    return (f"{memory['key']}: {memory['value']} "
            f"[relevance {memory['relevance_score']:.2f}, used {memory['access_count']}×]")


def remember(command: Command, env: CommandEnv) -> str:
    """Store `<value>` (the rest of the line) under `<key>`."""
    if len(command.args) < 2:
        raise usage(REMEMBER)
    key, value = command.args[0], command.rest_after(1)
    env.call("memory.set", env.for_agent(key=key, value=value))
    return f"Remembered: {key} = {value}"


def _forget(env: CommandEnv, key: str) -> str:
    if env.call("memory.delete", env.for_agent(key=key))["deleted"]:
        return f"Forgot: {key}"
    return f"No memory named {key} for @{env.agent_id}."


def forget(command: Command, env: CommandEnv) -> str:
    """Delete the memory `<key>`."""
    if len(command.args) != 1:
        raise usage(FORGET)
    return _forget(env, command.args[0])


def memory(command: Command, env: CommandEnv) -> str:
    """List, search, delete or clear the agent's memories (list without arguments)."""
    sub = command.args[0].lower() if command.args else "list"
    if sub == "list" and len(command.args) <= 1:
        items = env.call("memory.list", env.for_agent())["items"]
        if not items:
            return f"No memories stored for @{env.agent_id}."
        return bullets(f"Core memory of @{env.agent_id} ({len(items)}):", [_line(m) for m in items])
    if sub == "search" and len(command.args) >= 2:
        query = command.rest_after(1)
        items = env.call("memory.search", env.for_agent(query=query))["items"]
        if not items:
            return f"No memories of @{env.agent_id} match '{query}'."
        return bullets(f"Memories of @{env.agent_id} matching '{query}':", [_line(m) for m in items])
    if sub == "delete" and len(command.args) == 2:
        return _forget(env, command.args[1])
    if sub == "clear" and len(command.args) == 1:
        deleted = env.call("memory.clear", env.for_agent())["deleted"]
        return f"Cleared {deleted} {'memory' if deleted == 1 else 'memories'} of @{env.agent_id}."
    raise usage(MEMORY)


SPECS = {
    "memory": CommandSpec(MEMORY, "the agent's core memory", memory),
    "remember": CommandSpec(REMEMBER, "store a fact in the agent's core memory", remember),
    "forget": CommandSpec(FORGET, "delete a fact", forget),
}
