"""@mentions (SPEC §7.1): `@id message` or `@@id message` goes to agent `id` and makes it the sticky
target; `@id` alone switches; an unknown id is answered with the agents there are."""

import re
from dataclasses import dataclass
from typing import Sequence

from goclaw_actors.http.acp.methods_agents import AGENT_ID_RE

MENTION = re.compile(r"^@{1,2}(" + AGENT_ID_RE.pattern.strip("^$") + r")(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Mention:
    """Where a mentioned line goes: `agent` with `text` ("" for a switch), or `error` for an unknown id."""

    agent: str
    text: str = ""
    error: str = ""

    @property
    def switch_only(self) -> bool:
        """`@id` alone: switch the target, send nothing."""
        return not self.error and not self.text


def unknown_agent_text(agent: str, known: Sequence[str]) -> str:
    """`Unknown agent: @x. Available: @a, @b`."""
    return f"Unknown agent: @{agent}. Available: {', '.join('@' + name for name in known)}"


def route_mention(line: str, known: Sequence[str]) -> Mention | None:
    """The mention `line` starts with, or None when it starts with none (a command is never a mention).

    `known` is the ordered list of agent ids."""
    match = MENTION.match(line.strip())
    if match is None:
        return None
    agent, text = match.group(1), (match.group(2) or "").strip()
    if agent not in known:
        return Mention(agent, text, unknown_agent_text(agent, known))
    return Mention(agent, text)
