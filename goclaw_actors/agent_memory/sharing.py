"""Sharing (SPEC §6): an agent shares one memory key, one pin, or `all` (every memory and every
shared-flagged pin) with another agent or `*` (every agent). Only what was named is visible to the target,
as `<shared_knowledge>`:

    From @writer: style: short sentences
    From @writer: --- brief.md ---
    <the pin's content>
"""

from typing import Any, Iterable

from goclaw_actors.agent_memory.core_memory import memory_line
from goclaw_actors.agent_memory.pins import pin_section

MEMORY = "memory"
PIN = "pin"
ALL = "all"
SHARE_TYPES = (MEMORY, PIN, ALL)
EVERY_AGENT = "*"


def shared_text(memories: Iterable[dict[str, Any]], pins: Iterable[dict[str, Any]]) -> str:
    """The body of the `<shared_knowledge>` block: each shared memory, then each shared pin, attributed to the
    agent that shared it ("" when nothing is shared)."""
    lines = [f"From @{memory['agent_id']}: {memory_line(memory)}" for memory in memories]
    lines += [f"From @{pin['agent_id']}: {pin_section(pin)}" for pin in pins]
    return "\n".join(lines)


def share_label(share_type: str, item_key: str | None) -> str:
    """How a share is named to people: `memory 'k'`, `pin 'notes.md'`, `all memories and shared pins`."""
    if share_type == ALL:
        return "all memories and shared pins"
    return f"{share_type} '{item_key}'"


def target_label(target: str) -> str:
    """`@writer`, or `every agent` for `*`."""
    return "every agent" if target == EVERY_AGENT else f"@{target}"
