"""Which agent gets a chat line (SPEC §7.1), decided the same way on every surface.

    route = route_line("@coder fix the test", current="default", known=lambda: ["default", "coder"])
    # Route(agent="coder", content="fix the test", command=False, sticky="coder")

`@id msg` / `@@id msg` go to `id` and make it the conversation's sticky target; `@id` alone (and
`/agents <id>`) only switches, answered as a command by `id`; an unknown id is answered as a command by the
current agent (`Unknown agent: …`); a slash command goes to the current agent; anything else is a turn of the
current agent. `known` (the active agents the caller may address, in SPEC order) is only called for lines
that mention an agent.
"""

from dataclasses import dataclass, replace
from typing import Callable, Iterable

from goclaw_actors.chat_commands.lines import Command, Mention, parse_line

AGENTS_SUBCOMMANDS = frozenset({"list", "new", "remove", "team"})


@dataclass(frozen=True)
class Route:
    """Where a line goes: the agent, what its task holds, whether it is a command, the new sticky target."""

    agent: str
    content: str
    command: bool = False
    sticky: str | None = None


def switch_target(command: Command) -> str | None:
    """The agent `/agents <id>` switches to (None for the other forms of `/agents`, and other commands)."""
    if command.name != "agents" or len(command.args) != 1 or command.args[0].lower() in AGENTS_SUBCOMMANDS:
        return None
    return command.args[0].lstrip("@")


def route_line(line: str, current: str, known: Callable[[], list[str]]) -> Route:
    """The route of one line typed in a conversation whose target is `current`."""
    parsed = parse_line(line)
    if isinstance(parsed, Command):
        target = switch_target(parsed)
        if target is not None and target in known():
            return Route(target, line.strip(), command=True, sticky=target)
        return Route(current, line.strip(), command=True)
    if isinstance(parsed, Mention):
        if parsed.agent not in known():
            return Route(current, line.strip(), command=True)
        if not parsed.text:
            return Route(parsed.agent, line.strip(), command=True, sticky=parsed.agent)
        inner = route_line(parsed.text, parsed.agent, known)  # `@coder /memory list` is coder's command
        return inner if inner.sticky else replace(inner, sticky=parsed.agent)
    return Route(current, parsed.text)


def conversation_target(lines: Iterable[str], start: str, known: Callable[[], list[str]]) -> str:
    """The sticky target after `lines` (earlier user lines of a conversation, oldest first), from `start`."""
    target = start
    for line in lines:
        if line.lstrip().startswith(("@", "/")):
            target = route_line(line, target, known).sticky or target
    return target


def may_route(line: str) -> bool:
    """Whether a line can be anything but a plain turn of the current agent (it starts with @ or /)."""
    return line.lstrip().startswith(("@", "/"))
